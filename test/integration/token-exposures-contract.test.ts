import { DynamoTokenEvents } from '../../shared/audit/event-store.js';
import { DynamoTokenExposures } from '../../shared/scanning/exposure-store.js';
import { DynamoCredentialStore } from '../../shared/tokens/credential-store.js';
import { DynamoTokenStore } from '../../shared/tokens/token-store.js';
import { tokenExposuresContract } from '../support/contracts/token-exposures.js';
import { contractTables } from '../support/contract-tables.js';

/** Secret scanning's store contract on DynamoDB's adapter, against DynamoDB Local: a table per test. */
const { documents, freshTable } = contractTables();

tokenExposuresContract('DynamoDB', async () => {
  const { tableName, directory } = await freshTable();
  return {
    exposures: new DynamoTokenExposures(documents, tableName, 30),
    tokens: new DynamoTokenStore(documents, tableName),
    credentials: new DynamoCredentialStore(documents, tableName),
    events: new DynamoTokenEvents(documents, tableName),
    account: { id: 'sa-etl', incarnation: (await directory.getPrincipal('sa-etl'))?.incarnation },
  };
});
