import { DynamoTokenEvents } from '../../shared/audit/event-store.js';
import { DynamoTokenStore } from '../../shared/tokens/token-store.js';
import { tokenEventsContract } from '../support/contracts/token-events.js';
import { contractTables } from '../support/contract-tables.js';

/** The audit trail's port contract on DynamoDB's adapter, against DynamoDB Local: a table per test. */
const { documents, freshTable } = contractTables();

tokenEventsContract('DynamoDB', async () => {
  const { tableName, directory } = await freshTable();
  return {
    tokens: new DynamoTokenStore(documents, tableName),
    events: new DynamoTokenEvents(documents, tableName),
    account: { id: 'sa-etl', incarnation: (await directory.getPrincipal('sa-etl'))?.incarnation },
  };
});
