import { MemoryTokenEvents } from '../../shared/audit/memory-event-store.js';
import { MemoryTokenExposures } from '../../shared/scanning/memory-exposures.js';
import { MemoryCredentialStore } from '../../shared/tokens/memory-credential-store.js';
import { type MemoryAccount, MemoryTokenTable } from '../../shared/tokens/memory-token-table.js';
import { MemoryTokenStore } from '../../shared/tokens/memory-token-store.js';
import { tokenExposuresContract } from '../support/contracts/token-exposures.js';

/** Secret scanning's store contract on the in-memory adapter (its DynamoDB half is in test/integration/). */
tokenExposuresContract('in memory', async () => {
  const accounts = new Map<string, MemoryAccount>([
    ['sa-etl', { type: 'SERVICE_ACCOUNT', incarnation: 'mf0a1b2c3d4e5f6g7h8i9' }],
  ]);
  const table = new MemoryTokenTable((id) => accounts.get(id));
  return {
    exposures: new MemoryTokenExposures(table),
    tokens: new MemoryTokenStore(table),
    credentials: new MemoryCredentialStore(table),
    events: new MemoryTokenEvents(table),
    account: { id: 'sa-etl', incarnation: accounts.get('sa-etl')?.incarnation },
  };
});
