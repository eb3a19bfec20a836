import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoTokenEvents } from '../../shared/audit/event-store.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { DynamoExchangeRecords } from '../../shared/federation/exchange-store.js';
import { DynamoPolicyStore } from '../../shared/federation/policy-store.js';
import type { StoredPolicy } from '../../shared/federation/policy.js';
import { DynamoCredentialStore } from '../../shared/tokens/credential-store.js';
import { DynamoTokenStore } from '../../shared/tokens/token-store.js';
import { FEDERATION_CONTRACT_CEILING, federationStoresContract } from '../support/contracts/federation-stores.js';
import { contractTables } from '../support/contract-tables.js';

/** Federation's stores' contract on DynamoDB's adapters, against DynamoDB Local: a table per test. */
const { documents, freshTable } = contractTables();

federationStoresContract('DynamoDB', async () => {
  const { tableName, directory } = await freshTable();
  // Behind the stores' back, as the key worker or an older version writes the policy's item.
  const set = (policy: StoredPolicy, fields: Record<string, unknown>) => {
    const names = Object.keys(fields);
    return documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.policy(policy.serviceAccountId, policy.policyId),
        UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#f${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:v${i}`, fields[name]])),
      }),
    );
  };
  return {
    policies: new DynamoPolicyStore(documents, tableName, 30, FEDERATION_CONTRACT_CEILING),
    exchanges: new DynamoExchangeRecords(documents, tableName, 30),
    tokens: new DynamoTokenStore(documents, tableName, { rateLimitedMax: FEDERATION_CONTRACT_CEILING }),
    credentials: new DynamoCredentialStore(documents, tableName),
    events: new DynamoTokenEvents(documents, tableName),
    account: { id: 'sa-etl', incarnation: (await directory.getPrincipal('sa-etl'))?.incarnation },
    user: 'root',
    retire: (accountId) => directory.retire(accountId),
    rekey: async (policy, key) => {
      await set(policy, { ...key });
    },
    leavePending: async (policy) => {
      await set(policy, { pendingSince: '2020-01-01T00:00:00.000Z' });
    },
  };
});
