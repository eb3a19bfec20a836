import { expect } from '@jest/globals';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type ItemKey, keys } from '../../shared/dynamodb/keys.js';
import { DynamoKeyOwners } from '../../shared/ratelimit/key-owners.js';
import { tokenKeyOwner } from '../../shared/tokens/ports.js';
import { DynamoCredentialStore } from '../../shared/tokens/credential-store.js';
import { DynamoTokenStore } from '../../shared/tokens/token-store.js';
import { CONTRACT_CEILING, tokenStoreContract } from '../support/contracts/token-store.js';
import { contractTables } from '../support/contract-tables.js';

/** The token aggregate's port contract on DynamoDB's adapters, against DynamoDB Local: a table per test. */
const { documents, freshTable } = contractTables();

tokenStoreContract('DynamoDB', async () => {
  const { tableName, directory } = await freshTable();
  const incarnation = async (id: string) => ({ id, incarnation: (await directory.getPrincipal(id))?.incarnation });
  return {
    tokens: new DynamoTokenStore(documents, tableName, { rateLimitedMax: CONTRACT_CEILING }),
    credentials: new DynamoCredentialStore(documents, tableName),
    account: await incarnation('sa-etl'),
    otherAccount: await incarnation('sa-reporting'),
    user: 'root',
    retire: (accountId) => directory.retire(accountId),
    removeBehindTheBack: async (token) => {
      const remove = (Key: ItemKey) => documents.send(new DeleteCommand({ TableName: tableName, Key }));
      await remove(keys.token(token.serviceAccountId, token.name));
      await remove(keys.credential(token.lookupId));
    },
    rekey: async (token, key) => {
      expect(await new DynamoKeyOwners(documents, tableName).write(tokenKeyOwner(token), token.apiKeyId, key)).toBe(
        true,
      );
    },
    leavePending: async (token) => {
      for (const Key of [keys.token(token.serviceAccountId, token.name), keys.credential(token.lookupId)]) {
        const pending = {
          UpdateExpression: 'SET pendingSince = :at',
          ExpressionAttributeValues: { ':at': '2020-01-01' },
        };
        await documents.send(new UpdateCommand({ TableName: tableName, Key, ...pending }));
      }
    },
  };
});
