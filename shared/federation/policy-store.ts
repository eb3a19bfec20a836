import { type DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  ConcurrentUpdateError,
  PolicyLimitReachedError,
  PolicyNotFoundError,
  ServiceAccountNotFoundError,
} from '../kernel/errors.js';
import type { PolicyStore } from './ports.js';
import type { StoredPolicy } from './policy.js';
import type { TokenBinding } from '../kernel/model.js';
import { eventPut } from '../dynamodb/event-items.js';
import {
  absent,
  all,
  either,
  equals,
  exists,
  expression,
  lessThan,
  updateExpression,
} from '../dynamodb/expressions.js';
import { accountCheck } from '../dynamodb/account-check.js';
import { accountPartition, keys, prefixes } from '../dynamodb/keys.js';
import { bindingFields, bindingOf } from '../tokens/token-items.js';
import { TransactionCancelled, transact } from '../dynamodb/transactions.js';
import type { TokenEvent } from '../kernel/events.js';
import { restrictionsOf } from '../kernel/restrictions.js';

const POLICY_FIELDS = [
  'policyId',
  'serviceAccountId',
  'name',
  'issuer',
  'jwksHosts',
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
  const policy = Object.fromEntries(
    POLICY_FIELDS.map((field) => [field, item[field] ?? null]),
  ) as unknown as StoredPolicy;
  // Policies made before `jwksHosts` existed trust the issuer's own host only.
  const jwksHosts = Array.isArray(item.jwksHosts) ? (item.jwksHosts as string[]) : [];
  const pending = typeof item.pendingSince === 'string' ? { pendingSince: item.pendingSince } : {};
  const incarnation = typeof item.incarnation === 'string' ? { incarnation: item.incarnation } : {};
  // Policies made before restrictions issue tokens with every scope, callable from anywhere.
  return { ...policy, jwksHosts, ...restrictionsOf(item), ...bindingOf(item), ...pending, ...incarnation };
}

/**
 * Federation policies on the service's table, under their account's partition, with a
 * counter per account whose condition keeps the limit race-free (as the token counter).
 * A policy's creation and deletion write their event in the same transaction.
 */
export class DynamoPolicyStore implements PolicyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly auditRetentionDays: number,
  ) {}

  private eventItems(event: TokenEvent | undefined) {
    return event === undefined ? [] : [['event', eventPut(this.tableName, event, this.auditRetentionDays)] as const];
  }

  async create(policy: StoredPolicy, limit: number, event?: TokenEvent): Promise<void> {
    const accountId = policy.serviceAccountId;
    try {
      await transact(this.client, [
        ...this.eventItems(event),
        [
          'policy',
          {
            Put: {
              TableName: this.tableName,
              Item: { ...keys.policy(accountId, policy.policyId), ...policy },
              ...expression({ condition: absent('pk') }),
            },
          },
        ],
        ['account', accountCheck(this.tableName, accountId, policy.incarnation)],
        [
          'counter',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.policyCounter(accountId),
              ...updateExpression({
                add: { policyCount: 1 },
                condition: either(absent('policyCount'), lessThan('policyCount', limit)),
              }),
            },
          },
        ],
      ]);
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      if (error.failed('account')) throw new ServiceAccountNotFoundError();
      if (error.failed('counter')) throw new PolicyLimitReachedError(limit);
      // A random id (the policy's, its event's) already taken, or a concurrent write: the client may retry.
      const retry = error.failed('policy') || error.failed('event') || error.conflicted;
      if (retry) throw new ConcurrentUpdateError({ cause: error });
      throw error.cause;
    }
  }

  async complete(policy: StoredPolicy, binding: TokenBinding, event: TokenEvent): Promise<boolean> {
    try {
      await transact(this.client, [
        ...this.eventItems(event),
        [
          'policy',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.policy(policy.serviceAccountId, policy.policyId),
              ...updateExpression({
                set: bindingFields(binding),
                remove: ['pendingSince'],
                condition: all(exists('pendingSince'), absent('apiKeyId')),
              }),
            },
          },
        ],
      ]);
      return true;
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      if (error.failed('policy')) return false;
      throw error.conflicted || error.failed('event') ? new ConcurrentUpdateError({ cause: error }) : error.cause;
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
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.policy(accountId, policyId), ConsistentRead: true }),
    );
    return result.Item ? toStoredPolicy(result.Item) : undefined;
  }

  async delete(policy: StoredPolicy, event?: TokenEvent): Promise<void> {
    try {
      await transact(this.client, [
        ...this.eventItems(event),
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
        [
          'counter',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.policyCounter(policy.serviceAccountId),
              ...updateExpression({ add: { policyCount: -1 } }),
            },
          },
        ],
      ]);
    } catch (error) {
      if (error instanceof TransactionCancelled && error.failed('policy')) throw new PolicyNotFoundError();
      if (!(error instanceof TransactionCancelled)) throw error;
      throw error.conflicted || error.failed('event') ? new ConcurrentUpdateError({ cause: error }) : error.cause;
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
