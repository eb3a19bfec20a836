import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  ConcurrentUpdateError,
  RotationInProgressError,
  ServiceAccountNotFoundError,
  TokenLimitReachedError,
  TokenNameTakenError,
  TokenNotFoundError,
} from '../kernel/errors.js';
import type { TokenCredential, TokenEvent } from '../kernel/model.js';
import type { NewToken, Rotation, StoredToken, TokenChanges, TokenPage, TokenStore } from './ports.js';
import type { TokenBinding } from '../kernel/model.js';
import { eventPut } from '../dynamodb/event-items.js';
import { givePlace, ShardFull, takePlace, withPlace } from '../dynamodb/rate-limit-capacity.js';
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
import { accountPartition, keys, prefixes, utcDay } from '../dynamodb/keys.js';
import { accountCheck } from '../dynamodb/account-check.js';
import {
  newTokenItems,
  rateLimitFields,
  SHARED_FIELDS,
  toCredential,
  toStoredToken,
  withoutBinding,
} from './token-items.js';
import { rotationItems } from './token-rotation.js';
import { reconcileCount, recordReuse, recordUse } from './token-upkeep.js';
import { TransactionCancelled, transact } from '../dynamodb/transactions.js';

/**
 * A token is in the `idle` index exactly while it is active: a suspension takes it out,
 * and a reactivation puts it back with its idle time counted from that day, so the job
 * does not suspend again at once a token its owner just reactivated.
 */
function idleIndexChange(before: string, after: string, at: string, set: Record<string, unknown>, remove: string[]) {
  if (before === after) return { set, remove };
  return after === 'ACTIVE'
    ? { set: { ...set, activeDay: utcDay(at) }, remove }
    : { set, remove: [...remove, 'activeDay'] };
}

/** Attempts of a rotation's writes that conflicted with another transaction, before a 409. */
const ROTATION_ATTEMPTS = 3;

/** How long audit events are kept (DynamoDB TTL), unless configured. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 400;

/**
 * The token store on the service's one DynamoDB table. Every change a person or a token
 * makes carries its audit event, written in the same transaction: no change without its
 * event, no event without its change.
 */
export class DynamoTokenStore implements TokenStore {
  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly options: { auditRetentionDays?: number; rateLimitedMax?: number } = {},
  ) {}

  /** The deployment's capacity of tokens and policies with a limit (`Config.tokens.rateLimitedMax`). */
  private get capacity() {
    return { client: this.client, tableName: this.tableName, ceiling: this.options.rateLimitedMax ?? 8_000 };
  }

  /** The capacity item of a write that takes (`take`) or gives back (`give`) a place, when it does. */
  private placeItems(take: number | undefined, give: number | undefined) {
    if (take !== undefined) return [['capacity', takePlace(this.tableName, take, this.capacity.ceiling)] as const];
    if (give !== undefined) return [['capacity', givePlace(this.tableName, give)] as const];
    return [];
  }

  /** The event's transaction item, when there is an event. */
  private withEvent(event: TokenEvent | undefined) {
    return event
      ? [
          [
            'event',
            eventPut(this.tableName, event, this.options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS),
          ] as const,
        ]
      : [];
  }

  async create(token: NewToken, limit: number, event?: TokenEvent): Promise<void> {
    if (token.record.maxRps === null || token.record.federation) return this.createTaking(token, limit, event);
    await withPlace(this.capacity, (shard) => this.createTaking(token, limit, event, shard));
  }

  private async createTaking(token: NewToken, limit: number, event?: TokenEvent, shard?: number): Promise<void> {
    const items = newTokenItems(token, shard);
    const accountId = token.record.serviceAccountId;
    try {
      await transact(this.client, [
        ...this.withEvent(event),
        ...this.placeItems(shard, undefined),
        [
          'token',
          { Put: { TableName: this.tableName, Item: items.token, ...expression({ condition: absent('pk') }) } },
        ],
        [
          'credential',
          { Put: { TableName: this.tableName, Item: items.credential, ...expression({ condition: absent('pk') }) } },
        ],
        // The account must be, at this moment, a service account that is not leaving the
        // directory: a token never outlives its account (an import retires the account
        // before it sweeps its tokens, so a create racing the import either fails here or
        // lands before the sweep).
        ['account', accountCheck(this.tableName, accountId, token.record.incarnation)],
        [
          'counter',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.counter(accountId),
              // `version` moves on every create and delete, so a recount can tell that
              // nothing changed between its read and its write (a count can come back).
              ...updateExpression({
                add: { tokenCount: 1, version: 1 },
                condition: either(absent('tokenCount'), lessThan('tokenCount', limit)),
              }),
            },
          },
        ],
      ]);
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      if (error.failed('account')) throw new ServiceAccountNotFoundError();
      if (error.failed('token')) throw new TokenNameTakenError();
      if (error.failed('counter')) throw new TokenLimitReachedError(limit);
      if (error.failed('capacity')) throw new ShardFull();
      // A lookup id (or event id) already taken: their random bits make it a race with
      // itself (an SDK retry), so the client may retry.
      if (error.failed('credential') || error.failed('event') || error.conflicted)
        throw new ConcurrentUpdateError({ cause: error });
      throw error.cause;
    }
  }

  async list(accountId: string, limit: number, afterName?: string): Promise<TokenPage> {
    // One more than asked tells whether another page follows, so a cursor is never
    // handed out for an empty page.
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': accountPartition(accountId), ':prefix': prefixes.token },
        ConsistentRead: true,
        Limit: limit + 1,
        ...(afterName === undefined ? {} : { ExclusiveStartKey: keys.token(accountId, afterName) }),
      }),
    );
    const tokens = (result.Items ?? []).map(toStoredToken).map(withoutBinding);
    return { tokens: tokens.slice(0, limit), lastName: tokens.length > limit ? tokens[limit - 1]?.name : undefined };
  }

  async get(accountId: string, name: string): Promise<StoredToken | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.token(accountId, name), ConsistentRead: true }),
    );
    return result.Item ? toStoredToken(result.Item) : undefined;
  }

  async update(
    current: StoredToken,
    changes: TokenChanges,
    updatedAt: string,
    event?: TokenEvent,
  ): Promise<StoredToken> {
    const next: StoredToken = {
      ...current,
      ...(changes.status === undefined ? {} : { status: changes.status }),
      ...(changes.maxRps === undefined ? {} : { maxRps: changes.maxRps }),
      updatedAt,
    };
    // A limit set takes a place in the capacity, a limit removed gives its place back.
    if (!current.federation && current.maxRps === null && next.maxRps !== null) {
      return withPlace(this.capacity, (shard) =>
        this.write(current, { ...next, capacityShard: shard }, changes, event),
      );
    }
    return this.write(current, next.maxRps === null ? { ...next, capacityShard: undefined } : next, changes, event);
  }

  private async write(
    current: StoredToken,
    next: StoredToken,
    changes: TokenChanges,
    event: TokenEvent | undefined,
  ): Promise<StoredToken> {
    // With `onlyIfUnchanged`, the status and limit read with the token must still be there.
    const guards = changes.onlyIfUnchanged ? [equals('status', current.status), equals('maxRps', current.maxRps)] : [];
    const set: Record<string, unknown> = { updatedAt: next.updatedAt };
    for (const field of SHARED_FIELDS) if (next[field] !== current[field]) set[field] = next[field];
    const tokenSet: Record<string, unknown> = { ...set };
    const tokenRemove: string[] = [];
    if (next.capacityShard !== current.capacityShard) {
      if (next.capacityShard === undefined) tokenRemove.push('capacityShard');
      else tokenSet.capacityShard = next.capacityShard;
    }
    // In the rate keys index with a limit, and while a key the worker is still to delete remains.
    const rate = rateLimitFields(next, undefined);
    if (rate.keyShard !== undefined) tokenSet.keyShard = rate.keyShard;
    else if (next.apiKeyId === undefined) tokenRemove.push('keyShard');
    const taken = next.capacityShard !== current.capacityShard ? next.capacityShard : undefined;
    const given = next.capacityShard !== current.capacityShard ? current.capacityShard : undefined;
    try {
      await transact(this.client, [
        ...this.withEvent(event),
        ...this.placeItems(taken, given),
        [
          'token',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.token(current.serviceAccountId, current.name),
              ...updateExpression({
                ...idleIndexChange(current.status, next.status, next.updatedAt, tokenSet, tokenRemove),
                condition: all(equals('lookupId', current.lookupId), ...guards),
              }),
            },
          },
        ],
        [
          'credential',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.credential(current.lookupId),
              ...updateExpression({ set, condition: all(exists('pk'), ...guards) }),
            },
          },
        ],
      ]);
    } catch (error) {
      if (error instanceof TransactionCancelled && error.failed('capacity')) throw new ShardFull();
      throw await this.explainLostRace(current, error);
    }
    return next;
  }

  async delete(current: StoredToken, event?: TokenEvent): Promise<void> {
    // Also conditional on the key read with the token: the key worker deletes the key this
    // read found, and one it made meanwhile would otherwise be left behind.
    try {
      await transact(this.client, [
        ...this.withEvent(event),
        [
          'token',
          {
            Delete: {
              TableName: this.tableName,
              Key: keys.token(current.serviceAccountId, current.name),
              ...expression({
                condition: all(equals('lookupId', current.lookupId), equals('apiKeyId', current.apiKeyId)),
              }),
            },
          },
        ],
        ['credential', { Delete: { TableName: this.tableName, Key: keys.credential(current.lookupId) } }],
        ...this.placeItems(undefined, current.capacityShard),
        // Federated tokens are not counted in the account's limit.
        ...(current.federation
          ? []
          : [
              [
                'counter',
                {
                  Update: {
                    TableName: this.tableName,
                    Key: keys.counter(current.serviceAccountId),
                    ...updateExpression({ add: { tokenCount: -1, version: 1 } }),
                  },
                },
              ] as const,
            ]),
      ]);
    } catch (error) {
      throw await this.explainLostRace(current, error);
    }
  }

  async rotate(current: StoredToken, rotation: Rotation, event: TokenEvent): Promise<StoredToken> {
    // The secret this rotation replaces, and those replaced before: its writes hold only
    // while the credential is still as read here (see rotationItems).
    const credential = await this.getCredential(current.lookupId);
    if (!credential) throw new TokenNotFoundError();
    const items = [...this.withEvent(event), ...rotationItems(this.tableName, current, credential, rotation)];
    for (let attempt = 1; ; attempt++) {
      try {
        await transact(this.client, items);
        break;
      } catch (error) {
        // Cancelled only because another write held an item (real DynamoDB under load):
        // nothing was written, and the same writes, on the same read, go again. A fresh
        // read could find another rotation's secret and replace it.
        const conflictOnly = error instanceof TransactionCancelled && error.conflicted && !error.anyFailed;
        if (conflictOnly && attempt < ROTATION_ATTEMPTS) continue;
        throw await this.explainLostRotation(current, rotation, error);
      }
    }
    return {
      ...current,
      rotatedAt: rotation.rotatedAt,
      rotatedBy: rotation.rotatedBy,
      previousSecret: rotation.previous,
      updatedAt: rotation.rotatedAt,
    };
  }

  /**
   * Why a rotation changed nothing: the token went (404), a grace period runs and the
   * rotation was not forced (409 ROTATION_IN_PROGRESS), or another rotation replaced the
   * secret first (409 CONCURRENT_UPDATE, which the use case does not retry: it would
   * replace the secret the winner handed out).
   */
  private async explainLostRotation(current: StoredToken, rotation: Rotation, error: unknown): Promise<unknown> {
    const failed = error instanceof TransactionCancelled && error.anyFailed;
    const now = failed && !rotation.force ? await this.get(current.serviceAccountId, current.name) : undefined;
    const running = now?.lookupId === current.lookupId ? now.previousSecret : null;
    if (running && running.validUntil > rotation.rotatedAt) return new RotationInProgressError(running.validUntil);
    return this.explainLostRace(current, error);
  }

  /** A failed condition means another request changed or removed the token first. */
  private async explainLostRace(current: StoredToken, error: unknown): Promise<unknown> {
    if (!(error instanceof TransactionCancelled)) return error;
    if (error.anyFailed) {
      const now = await this.get(current.serviceAccountId, current.name);
      if (!now || now.lookupId !== current.lookupId) return new TokenNotFoundError();
      return new ConcurrentUpdateError({ cause: error });
    }
    return error.conflicted ? new ConcurrentUpdateError({ cause: error }) : error.cause;
  }

  async getCredential(lookupId: string): Promise<(TokenCredential & Partial<TokenBinding>) | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.credential(lookupId), ConsistentRead: true }),
    );
    return result.Item ? toCredential(result.Item) : undefined;
  }

  recordUse(
    credential: TokenCredential,
    now: Date,
    intervalSeconds: number,
    secret: 'current' | 'previous' = 'current',
  ): Promise<boolean> {
    return recordUse(this, credential, now, intervalSeconds, secret);
  }

  recordReuse(credential: TokenCredential, event: TokenEvent, intervalSeconds: number): Promise<boolean> {
    return recordReuse(
      this,
      credential,
      event,
      intervalSeconds,
      this.options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS,
    );
  }

  reconcileCount(accountId: string): Promise<boolean> {
    return reconcileCount(this, accountId);
  }
}
