import { DynamoTokenStore } from '../../shared/tokens/token-store.js';
import { directoryStoreContract } from '../support/contracts/directory-store.js';
import { contractTables } from '../support/contract-tables.js';

/** The directory's port contract on DynamoDB's adapter, against DynamoDB Local: a table per test. */
const { documents, freshTable } = contractTables();

directoryStoreContract('DynamoDB', async () => {
  const { tableName, directory } = await freshTable();
  return { directory, tokens: new DynamoTokenStore(documents, tableName) };
});
