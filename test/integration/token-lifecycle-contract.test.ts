import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoTokenEvents } from '../../shared/audit/event-store.js';
import { type ItemKey, keys } from '../../shared/dynamodb/keys.js';
import { DynamoTokenLifecycle } from '../../shared/lifecycle/lifecycle-store.js';
import { DynamoCredentialStore } from '../../shared/tokens/credential-store.js';
import { DynamoTokenStore } from '../../shared/tokens/token-store.js';
import { tokenLifecycleContract } from '../support/contracts/token-lifecycle.js';
import { contractTables } from '../support/contract-tables.js';

/** The lifecycle job's port contract on DynamoDB's adapter, against DynamoDB Local: a table per test. */
const { documents, freshTable } = contractTables();

tokenLifecycleContract('DynamoDB', async () => {
  const { tableName, directory } = await freshTable();
  const set = (Key: ItemKey, field: string, value: string) =>
    documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key,
        UpdateExpression: 'SET #field = :value',
        ExpressionAttributeNames: { '#field': field },
        ExpressionAttributeValues: { ':value': value },
      }),
    );
  return {
    tokens: new DynamoTokenStore(documents, tableName),
    credentials: new DynamoCredentialStore(documents, tableName),
    lifecycle: new DynamoTokenLifecycle(documents, tableName, 30),
    events: new DynamoTokenEvents(documents, tableName),
    account: { id: 'sa-etl', incarnation: (await directory.getPrincipal('sa-etl'))?.incarnation },
    leavePending: async (token) => {
      await set(keys.token(token.serviceAccountId, token.name), 'pendingSince', '2020-01-01');
      await set(keys.credential(token.lookupId), 'pendingSince', '2020-01-01');
    },
    suspendLeavingIdle: (token) => set(keys.token(token.serviceAccountId, token.name), 'status', 'SUSPENDED').then(),
  };
});
