import { DynamoKeyOwners } from '../../shared/ratelimit/key-owners.js';
import { DynamoCredentialStore } from '../../shared/tokens/credential-store.js';
import { DynamoTokenStore } from '../../shared/tokens/token-store.js';
import { contractTables } from '../support/contract-tables.js';
import { keyOwnersContract } from '../support/contracts/key-owners.js';

/** The key worker's owners on DynamoDB's adapter, against DynamoDB Local: a table per test. */
const { documents, freshTable } = contractTables();

keyOwnersContract('DynamoDB', async () => {
  const { tableName, directory } = await freshTable();
  return {
    owners: new DynamoKeyOwners(documents, tableName),
    tokens: new DynamoTokenStore(documents, tableName),
    credentials: new DynamoCredentialStore(documents, tableName),
    account: { id: 'sa-etl', incarnation: (await directory.getPrincipal('sa-etl'))?.incarnation },
  };
});
