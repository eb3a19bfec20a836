import { type DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, PolicyLimitReachedError, PolicyNotFoundError, ServiceAccountNotFoundError } from '../errors.js';
import type { PolicyStore } from '../federation/ports.js';
import type { StoredPolicy } from '../federation/policy.js';
import type { TokenBinding } from '../ports.js';
import { absent, all, either, equals, exists, expression, lessThan, updateExpression } from './expressions.js';
import { accountCheck } from './account-check.js';
import { accountPartition, keys, prefixes } from './keys.js';
import { bindingFields, bindingOf } from './token-items.js';
import { TransactionCancelled, transact } from './transactions.js';

const POLICY_FIELDS = [
  'policyId',
  'serviceAccountId',
  'name',
  'issuer',
  'audiences',
  'subject',
  'claims',
  'maxTtlSeconds',
  'maxTokenAgeSeconds',
  'maxRps',
  'createdBy',
  'createdAt',
] as const;

export function toStoredPolicy(item: Record<string, unknown>): StoredPolicy {
  const policy = Object.fromEntries(POLICY_FIELDS.map((field) => [field, item[field] ?? null])) as unknown as StoredPolicy;
  return {
    ...policy,
    ...bindingOf(item),
    ...(typeof item.pendingSince === 'string' ? { pendingSince: item.pendingSince } : {}),
    ...(typeof item.incarnation === 'string' ? { incarnation: item.incarnation } : {}),
  };
}

/**
 * Federation policies on the service's table, under their account's partition, with a
 * counter per account whose condition keeps the limit race-free (as the token counter).
 */
export class DynamoPolicyStore implements PolicyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(policy: StoredPolicy, limit: number): Promise<void> {
    const accountId = policy.serviceAccountId;
    try {
      await transact(this.client, [
        ['policy', { Put: { TableName: this.tableName, Item: { ...keys.policy(accountId, policy.policyId), ...policy }, ...expression({ condition: absent('pk') }) } }],
        ['account', accountCheck(this.tableName, accountId, policy.incarnation)],
        [
          'counter',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.policyCounter(accountId),
              ...updateExpression({ add: { policyCount: 1 }, condition: either(absent('policyCount'), lessThan('policyCount', limit)) }),
            },
          },
        ],
      ]);
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      if (error.failed('account')) throw new ServiceAccountNotFoundError();
      if (error.failed('counter')) throw new PolicyLimitReachedError(limit);
      // A random id already taken, or a concurrent write: the client may retry.
      if (error.failed('policy') || error.conflicted) throw new ConcurrentUpdateError({ cause: error });
      throw error.cause;
    }
  }

  async complete(policy: StoredPolicy, binding: TokenBinding): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.policy(policy.serviceAccountId, policy.policyId),
          ...updateExpression({ set: bindingFields(binding), remove: ['pendingSince'], condition: all(exists('pendingSince'), absent('apiKeyId')) }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async list(accountId: string): Promise<StoredPolicy[]> {
    const policies: StoredPolicy[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': accountPartition(accountId), ':prefix': prefixes.policy },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      policies.push(...(page.Items ?? []).map(toStoredPolicy));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return policies;
  }

  async get(accountId: string, policyId: string): Promise<StoredPolicy | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.policy(accountId, policyId), ConsistentRead: true }));
    return result.Item ? toStoredPolicy(result.Item) : undefined;
  }

  async delete(policy: StoredPolicy): Promise<void> {
    try {
      await transact(this.client, [
        [
          'policy',
          {
            Delete: {
              TableName: this.tableName,
              Key: keys.policy(policy.serviceAccountId, policy.policyId),
              // The key read with it is the one deleted next: never one swapped in meanwhile.
              ...expression({ condition: all(exists('pk'), equals('apiKeyId', policy.apiKeyId)) }),
            },
          },
        ],
        ['counter', { Update: { TableName: this.tableName, Key: keys.policyCounter(policy.serviceAccountId), ...updateExpression({ add: { policyCount: -1 } }) } }],
      ]);
    } catch (error) {
      if (error instanceof TransactionCancelled && error.failed('policy')) throw new PolicyNotFoundError();
      throw error instanceof TransactionCancelled ? (error.conflicted ? new ConcurrentUpdateError({ cause: error }) : error.cause) : error;
    }
  }

  async *all(): AsyncIterable<StoredPolicy> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          FilterExpression: 'begins_with(pk, :account) AND begins_with(sk, :policy)',
          ExpressionAttributeValues: { ':account': prefixes.account, ':policy': prefixes.policy },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield toStoredPolicy(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}
