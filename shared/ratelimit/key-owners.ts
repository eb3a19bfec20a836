import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { KeyOwner } from '../tokens/ports.js';
import { BINDING_FIELDS, bindingOf } from '../tokens/token-items.js';
import { all, type Condition, equals, exists, updateExpression } from '../dynamodb/expressions.js';
import { keys } from '../dynamodb/keys.js';
import { TransactionCancelled, transact } from '../dynamodb/transactions.js';
import type { KeyOwners } from './key-worker.js';

const itemOf = (owner: KeyOwner) =>
  owner.kind === 'token'
    ? keys.token(owner.serviceAccountId, owner.name)
    : keys.policy(owner.serviceAccountId, owner.policyId);

/**
 * The key worker's table side: a token's key fields on both its items (the authorizer
 * reads the credential), a policy's on its item. Every write is conditional on the key
 * the worker read, and on the token still being the one named (a name can be reused).
 */
export class DynamoKeyOwners implements KeyOwners {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(owner: KeyOwner) {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: itemOf(owner), ConsistentRead: true }),
    );
    // A federated token presents its policy's key; a create an earlier version left pending is the upgrade's.
    if (!Item || Item.federation || typeof Item.pendingSince === 'string') return undefined;
    if (owner.kind === 'token' && Item.lookupId !== owner.lookupId) return undefined;
    return { maxRps: typeof Item.maxRps === 'number' ? Item.maxRps : null, key: bindingOf(Item) };
  }

  async write(...[owner, expected, key, unlimited = false]: Parameters<KeyOwners['write']>): Promise<boolean> {
    const set = Object.fromEntries(BINDING_FIELDS.map((field) => [field, key?.[field]]));
    const remove = BINDING_FIELDS.filter((field) => key?.[field] === undefined);
    const update = (Key: { pk: string; sk: string }, more: Condition[], unindex = false) => ({
      Update: {
        TableName: this.tableName,
        Key,
        ...updateExpression({
          set,
          remove: unindex ? [...remove, 'keyShard'] : remove,
          condition: all(exists('pk'), equals('apiKeyId', expected), ...more),
        }),
      },
    });
    const limitless = unlimited ? [equals('maxRps', null)] : [];
    try {
      await transact(
        this.client,
        owner.kind === 'token'
          ? [
              ['token', update(itemOf(owner), [equals('lookupId', owner.lookupId), ...limitless], unlimited)],
              ['credential', update(keys.credential(owner.lookupId), [])],
            ]
          : [['policy', update(itemOf(owner), limitless, unlimited)]],
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCancelled && error.anyFailed) return false;
      throw error;
    }
  }
}
