import { MemoryTokenEvents } from '../../shared/audit/memory-event-store.js';
import { MemoryCredentialStore } from '../../shared/tokens/memory-credential-store.js';
import { MemoryTokenLifecycle } from '../../shared/tokens/memory-token-lifecycle.js';
import { MemoryTokenTable } from '../../shared/tokens/memory-token-table.js';
import { MemoryTokenStore } from '../../shared/tokens/memory-token-store.js';
import { tokenLifecycleContract } from '../support/contracts/token-lifecycle.js';

/** The lifecycle job's port contract on the in-memory adapter (its DynamoDB half is in test/integration/). */
tokenLifecycleContract('in memory', async () => {
  const incarnation = 'mf0a1b2c3d4e5f6g7h8i9';
  const table = new MemoryTokenTable((id) => (id === 'sa-etl' ? { type: 'SERVICE_ACCOUNT', incarnation } : undefined));
  return {
    tokens: new MemoryTokenStore(table),
    credentials: new MemoryCredentialStore(table),
    lifecycle: new MemoryTokenLifecycle(table),
    events: new MemoryTokenEvents(table),
    account: { id: 'sa-etl', incarnation },
    leavePending: async (token) => {
      table.setToken({ ...table.token(token.serviceAccountId, token.name)!, pendingSince: '2020-01-01' });
      table.setCredential({ ...table.credential(token.lookupId)!, pendingSince: '2020-01-01' });
    },
    suspendLeavingIdle: async (token) => {
      table.setToken({ ...table.token(token.serviceAccountId, token.name)!, status: 'SUSPENDED' });
    },
  };
});
