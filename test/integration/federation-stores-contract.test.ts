import { randomUUID } from 'node:crypto';
import { afterAll } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoTokenEvents } from '../../shared/audit/event-store.js';
import { DynamoDirectoryStore } from '../../shared/directory/directory-store.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { ensureTable } from '../../shared/dynamodb/table.js';
import { DynamoExchangeRecords } from '../../shared/federation/exchange-store.js';
import { DynamoPolicyStore } from '../../shared/federation/policy-store.js';
import type { StoredPolicy } from '../../shared/federation/policy.js';
import { DynamoCredentialStore } from '../../shared/tokens/credential-store.js';
import { DynamoTokenStore } from '../../shared/tokens/token-store.js';
import { FEDERATION_CONTRACT_CEILING, federationStoresContract } from '../support/contracts/federation-stores.js';
import { exampleDirectory } from '../support/service.js';

/** Federation's stores' contract on DynamoDB's adapters, against DynamoDB Local: a table per test. */
const endpoint = process.env.DYNAMODB_ENDPOINT;
if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run the tests with npm test');
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const raw = new DynamoDBClient({ endpoint, region: 'local', credentials });
const documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
afterAll(() => raw.destroy());

federationStoresContract('DynamoDB', async () => {
  const tableName = `contract-${randomUUID()}`;
  await ensureTable(raw, tableName, { stream: false });
  const directory = new DynamoDirectoryStore(documents, tableName);
  await (await directory.snapshot()).write(exampleDirectory());
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
