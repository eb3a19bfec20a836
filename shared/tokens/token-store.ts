import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { accountCheck } from '../dynamodb/account-check.js';
import { DEFAULT_AUDIT_RETENTION_DAYS, eventPut } from '../dynamodb/event-items.js';
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
import { accountPartition, keys, prefixes } from '../dynamodb/keys.js';
import { givePlace, ShardFull, takePlace, withPlace } from '../dynamodb/rate-limit-capacity.js';
import { type NamedItem, TransactionCancelled, transact } from '../dynamodb/transactions.js';
import {
  ConcurrentUpdateError,
  ServiceAccountNotFoundError,
  TokenLimitReachedError,
  TokenNameTakenError,
  TokenNotFoundError,
} from '../kernel/errors.js';
import type { TokenEvent } from '../kernel/events.js';
import type { NewToken, StoredToken, TokenChanges, TokenPage, TokenStore } from './ports.js';
import { newTokenItems, rateLimitFields, SHARED_FIELDS, toStoredToken, withoutBinding } from './token-items.js';
import { type Change, changedToken, tokenItemChange } from './token-items.js';

/**
 * The token store on the service's one DynamoDB table: the tokens owners make, list,
 * change and delete, and the passes that keep the account's count right. A token is two
 * items (token-items.ts), written together; every change carries its audit event in the
 * same transaction: no change without its event, no event without its change. The
 * credential item on its own (what authentication reads, and a rotation's new secret) is
 * credential-store.ts's.
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
  private placeItems(take: number | undefined, give: number | undefined): NamedItem[] {
    if (take !== undefined) return [['capacity', takePlace(this.tableName, take, this.capacity.ceiling)]];
    if (give !== undefined) return [['capacity', givePlace(this.tableName, give)]];
    return [];
  }

  async create(token: NewToken, limit: number, event?: TokenEvent): Promise<void> {
    // A token with a limit takes a place in the capacity in the same transaction (a federated one's is its policy's).
    if (token.record.maxRps === null || token.record.federation) return this.createTaking(token, limit, event);
    await withPlace(this.capacity, (shard) => this.createTaking(token, limit, event, shard));
  }

  private async createTaking(token: NewToken, limit: number, event?: TokenEvent, shard?: number): Promise<void> {
    const items = newTokenItems(token, shard);
    const accountId = token.record.serviceAccountId;
    const isNew = expression({ condition: absent('pk') });
    const writes = [...this.withEvent(event), ...this.placeItems(shard, undefined)];
    writes.push(
      ['token', { Put: { TableName: this.tableName, Item: items.token, ...isNew } }],
      ['credential', { Put: { TableName: this.tableName, Item: items.credential, ...isNew } }],
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
    );
    try {
      await transact(this.client, writes);
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      if (error.failed('capacity')) throw new ShardFull();
      if (error.failed('account')) throw new ServiceAccountNotFoundError();
      if (error.failed('token')) throw new TokenNameTakenError();
      if (error.failed('counter')) throw new TokenLimitReachedError(limit);
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
    const next = changedToken(current, changes, updatedAt);
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
    // Both items take what they share; the token item also moves in or out of the idle index.
    const change: Change = { set: { updatedAt: next.updatedAt }, remove: [] };
    for (const field of SHARED_FIELDS) {
      if (next[field] === current[field]) continue;
      if (next[field] === undefined) change.remove.push(field);
      else change.set[field] = next[field];
    }
    // A copy: what only the token item takes (its indexes, its place) must not reach the credential.
    const own: Change = { set: { ...change.set }, remove: [...change.remove] };
    const tokenChange = tokenItemChange(current.status, next.status, next.updatedAt, own, changes.suspension);
    if (next.capacityShard !== current.capacityShard) {
      if (next.capacityShard === undefined) tokenChange.remove.push('capacityShard');
      else tokenChange.set.capacityShard = next.capacityShard;
    }
    // In the rate keys index with a limit, and while a key the worker is still to delete remains.
    const rate = rateLimitFields(next, undefined);
    if (rate.keyShard !== undefined) tokenChange.set.keyShard = rate.keyShard;
    else if (next.apiKeyId === undefined) tokenChange.remove.push('keyShard');
    const moved = next.capacityShard !== current.capacityShard;
    const writes = [
      ...this.withEvent(event),
      ...this.placeItems(moved ? next.capacityShard : undefined, moved ? current.capacityShard : undefined),
    ];
    // With `onlyIfUnchanged`, the status and limit read with the token must still be there, and on the token
    // item nothing may have changed (`updatedAt`): the caller's limits, scopes and networks were judged on that read.
    const guards = changes.onlyIfUnchanged ? [equals('status', current.status), equals('maxRps', current.maxRps)] : [];
    const unchanged = changes.onlyIfUnchanged ? [equals('updatedAt', current.updatedAt)] : [];
    const tokenUpdate = updateExpression({
      ...tokenChange,
      condition: all(equals('lookupId', current.lookupId), ...guards, ...unchanged),
    });
    const credentialUpdate = updateExpression({ ...change, condition: all(exists('pk'), ...guards) });
    const token = keys.token(current.serviceAccountId, current.name);
    writes.push(
      ['token', { Update: { TableName: this.tableName, Key: token, ...tokenUpdate } }],
      [
        'credential',
        { Update: { TableName: this.tableName, Key: keys.credential(current.lookupId), ...credentialUpdate } },
      ],
    );
    await transact(this.client, writes).catch((error: unknown) => {
      if (error instanceof TransactionCancelled && error.failed('capacity')) throw new ShardFull();
      return this.lostRace(current, error);
    });
    return next;
  }

  async delete(current: StoredToken, event?: TokenEvent): Promise<void> {
    const lost = (error: unknown) => this.lostRace(current, error);
    // Also conditional on the key read with the token: the key worker deletes the key this
    // read found, and one it made meanwhile would otherwise be left behind.
    const asRead = expression({
      condition: all(equals('lookupId', current.lookupId), equals('apiKeyId', current.apiKeyId)),
    });
    const token = keys.token(current.serviceAccountId, current.name);
    const writes = this.withEvent(event);
    writes.push(
      ['token', { Delete: { TableName: this.tableName, Key: token, ...asRead } }],
      ['credential', { Delete: { TableName: this.tableName, Key: keys.credential(current.lookupId) } }],
      ...this.placeItems(undefined, current.capacityShard),
    );
    // Federated tokens are not counted in the account's limit.
    if (!current.federation) {
      const counter = keys.counter(current.serviceAccountId);
      const less = updateExpression({ add: { tokenCount: -1, version: 1 } });
      writes.push(['counter', { Update: { TableName: this.tableName, Key: counter, ...less } }]);
    }
    await transact(this.client, writes).catch(lost);
  }

  /**
   * Recounts an account's stored tokens and corrects its counter (DynamoDB TTL removes
   * expired tokens behind it), only if no create or delete landed since the counter was
   * read: its `version` moves with each.
   */
  async reconcileCount(accountId: string): Promise<boolean> {
    const key = keys.counter(accountId);
    const { Item: counter } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    let stored = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          // Federated tokens are not counted in the limit.
          FilterExpression: 'attribute_not_exists(federation)',
          ExpressionAttributeValues: { ':pk': accountPartition(accountId), ':prefix': prefixes.token },
          ConsistentRead: true,
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      stored += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    if (stored >= Number(counter?.tokenCount ?? 0)) return false;
    const recount = updateExpression({ set: { tokenCount: stored }, condition: equals('version', counter?.version) });
    try {
      await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: key, ...recount }));
      return true;
    } catch {
      return false;
    }
  }

  /** A change's writes so far: its audit event's, when it has one. */
  private withEvent(event: TokenEvent | undefined): NamedItem[] {
    const retentionDays = this.options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    return event ? [['event', eventPut(this.tableName, event, retentionDays)]] : [];
  }

  /**
   * Why a write to a token read just before failed: a failed condition means another
   * request removed the token (404) or changed it (409) first.
   */
  private async lostRace(current: StoredToken, error: unknown): Promise<never> {
    if (!(error instanceof TransactionCancelled)) throw error;
    if (error.anyFailed) {
      const now = await this.get(current.serviceAccountId, current.name);
      if (!now || now.lookupId !== current.lookupId) throw new TokenNotFoundError();
      throw new ConcurrentUpdateError({ cause: error });
    }
    throw error.conflicted ? new ConcurrentUpdateError({ cause: error }) : error.cause;
  }
}
