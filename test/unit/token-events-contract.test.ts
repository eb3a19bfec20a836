import { MemoryTokenEvents } from '../../shared/audit/memory-event-store.js';
import { MemoryTokenTable } from '../../shared/tokens/memory-token-table.js';
import { MemoryTokenStore } from '../../shared/tokens/memory-token-store.js';
import { tokenEventsContract } from '../support/contracts/token-events.js';

/** The audit trail's port contract on the in-memory adapter (its DynamoDB half is in test/integration/). */
tokenEventsContract('in memory', async () => {
  const incarnation = 'mf0a1b2c3d4e5f6g7h8i9';
  const table = new MemoryTokenTable((id) => (id === 'sa-etl' ? { type: 'SERVICE_ACCOUNT', incarnation } : undefined));
  return {
    tokens: new MemoryTokenStore(table),
    events: new MemoryTokenEvents(table),
    account: { id: 'sa-etl', incarnation },
  };
});
