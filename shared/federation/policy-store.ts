import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  ConcurrentUpdateError,
  PolicyLimitReachedError,
  PolicyNotFoundError,
  ServiceAccountNotFoundError,
} from '../kernel/errors.js';
import type { PolicyStore } from './ports.js';
import type { StoredPolicy } from './policy.js';
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
import { accountPartition, keys, prefixes, rateKeyShard } from '../dynamodb/keys.js';
import { givePlace, ShardFull, takePlace, withPlace } from '../dynamodb/rate-limit-capacity.js';
import { bindingOf } from '../tokens/token-items.js';
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
  const shard = typeof item.capacityShard === 'number' ? { capacityShard: item.capacityShard } : {};
  // Policies made before restrictions issue tokens with every scope, callable from anywhere.
  return { ...policy, jwksHosts, ...restrictionsOf(item), ...bindingOf(item), ...pending, ...incarnation, ...shard };
}

/**
 * Federation policies on the service's table, under their account's partition, with a
 * counter per account whose condition keeps the limit race-free (as the token counter).
 * A policy's creation and deletion write their event in the same transaction; a policy
 * with a limit takes its place in the deployment's capacity there too, and is in the
 * rate keys index (its key is the key worker's to make).
 */
export class DynamoPolicyStore implements PolicyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly auditRetentionDays: number,
    private readonly rateLimitedMax = 8_000,
  ) {}

  private eventItems(event: TokenEvent | undefined) {
    return event === undefined ? [] : [['event', eventPut(this.tableName, event, this.auditRetentionDays)] as const];
  }

  async create(policy: StoredPolicy, limit: number, event: TokenEvent): Promise<void> {
    if (policy.maxRps === null) return this.createTaking(policy, limit, event);
    const capacity = { client: this.client, tableName: this.tableName, ceiling: this.rateLimitedMax };
    await withPlace(capacity, (shard) => this.createTaking(policy, limit, event, shard));
  }

  private async createTaking(policy: StoredPolicy, limit: number, event: TokenEvent, shard?: number): Promise<void> {
    const accountId = policy.serviceAccountId;
    const limited = shard === undefined ? {} : { keyShard: rateKeyShard(policy.policyId), capacityShard: shard };
    try {
      await transact(this.client, [
        ...this.eventItems(event),
        ...(shard === undefined ? [] : [['capacity', takePlace(this.tableName, shard, this.rateLimitedMax)] as const]),
        [
          'policy',
          {
            Put: {
              TableName: this.tableName,
              Item: { ...keys.policy(accountId, policy.policyId), ...policy, ...limited },
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
      if (error.failed('capacity')) throw new ShardFull();
      // A random id (the policy's, its event's) already taken, or a concurrent write: the client may retry.
      const retry = error.failed('policy') || error.failed('event') || error.conflicted;
      if (retry) throw new ConcurrentUpdateError({ cause: error });
      throw error.cause;
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
        ...(policy.capacityShard === undefined
          ? []
          : [['capacity', givePlace(this.tableName, policy.capacityShard)] as const]),
      ]);
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      if (error.failed('policy')) {
        const now = await this.get(policy.serviceAccountId, policy.policyId);
        throw now ? new ConcurrentUpdateError({ cause: error }) : new PolicyNotFoundError();
      }
      throw error.conflicted || error.failed('event') ? new ConcurrentUpdateError({ cause: error }) : error.cause;
    }
  }
}
