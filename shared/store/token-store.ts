import { type DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, ServiceAccountNotFoundError, TokenLimitReachedError, TokenNameTakenError, TokenNotFoundError } from '../errors.js';
import type { TokenCredential } from '../model.js';
import type { NewToken, StoredToken, TokenBinding, TokenChanges, TokenPage, TokenStore } from '../ports.js';
import { absent, all, either, equals, exists, expression, lessThan, updateExpression } from './expressions.js';
import { accountPartition, type ItemKey, keys, prefixes } from './keys.js';
import { bindingFields, newTokenItems, SHARED_FIELDS, toCredential, toStoredToken, withoutBinding } from './token-items.js';
import { TransactionCancelled, transact } from './transactions.js';

/** The token store on the service's one DynamoDB table. */
export class DynamoTokenStore implements TokenStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(token: NewToken, limit: number): Promise<void> {
    const items = newTokenItems(token);
    const accountId = token.record.serviceAccountId;
    try {
      await transact(this.client, [
        ['token', { Put: { TableName: this.tableName, Item: items.token, ...expression({ condition: absent('pk') }) } }],
        ['credential', { Put: { TableName: this.tableName, Item: items.credential, ...expression({ condition: absent('pk') }) } }],
        // The account must be, at this moment, a service account that is not leaving the
        // directory: a token never outlives its account (an import retires the account
        // before it sweeps its tokens, so a create racing the import either fails here or
        // lands before the sweep).
        [
          'account',
          {
            ConditionCheck: {
              TableName: this.tableName,
              Key: keys.profile(accountId),
              ...expression({ condition: all(exists('pk'), equals('type', 'SERVICE_ACCOUNT'), absent('retiring')) }),
            } as { TableName: string; Key: ItemKey; ConditionExpression: string },
          },
        ],
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
      // A lookup id already taken: 96 random bits make it a race with itself (an SDK retry).
      if (error.failed('credential') || error.conflicted) throw new ConcurrentUpdateError({ cause: error });
      throw error.cause;
    }
  }

  async completePending(token: StoredToken, binding: TokenBinding): Promise<boolean> {
    const set = bindingFields(binding);
    try {
      await transact(this.client, [
        [
          'token',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.token(token.serviceAccountId, token.name),
              ...updateExpression({ set, remove: ['pendingSince'], condition: all(equals('lookupId', token.lookupId), exists('pendingSince'), absent('apiKeyId')) }),
            },
          },
        ],
        [
          'credential',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.credential(token.lookupId),
              ...updateExpression({ set, remove: ['pendingSince'], condition: all(exists('pk'), exists('pendingSince')) }),
            },
          },
        ],
      ]);
      return true;
    } catch (error) {
      if (error instanceof TransactionCancelled && error.anyFailed) return false;
      throw error instanceof TransactionCancelled ? (error.conflicted ? new ConcurrentUpdateError({ cause: error }) : error.cause) : error;
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
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.token(accountId, name), ConsistentRead: true }));
    return result.Item ? toStoredToken(result.Item) : undefined;
  }

  async update(current: StoredToken, changes: TokenChanges, updatedAt: string): Promise<StoredToken> {
    const next: StoredToken = {
      ...current,
      ...(changes.status === undefined ? {} : { status: changes.status }),
      ...(changes.maxRps === undefined ? {} : { maxRps: changes.maxRps }),
      ...(changes.binding === undefined ? {} : bindingFields(changes.binding)),
      updatedAt,
    };
    // The key read with the token must still be there when the binding changes or the
    // write is guarded; with `onlyIfUnchanged`, so must its status and limit.
    const guards = [
      ...(changes.binding !== undefined || changes.onlyIfUnchanged ? [equals('apiKeyId', current.apiKeyId)] : []),
      ...(changes.onlyIfUnchanged ? [equals('status', current.status), equals('maxRps', current.maxRps)] : []),
    ];
    const set: Record<string, unknown> = { updatedAt };
    const remove: string[] = [];
    for (const field of SHARED_FIELDS) {
      if (next[field] === current[field]) continue;
      if (next[field] === undefined) remove.push(field);
      else set[field] = next[field];
    }
    try {
      await transact(this.client, [
        [
          'token',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.token(current.serviceAccountId, current.name),
              ...updateExpression({ set, remove, condition: all(equals('lookupId', current.lookupId), ...guards) }),
            },
          },
        ],
        [
          'credential',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.credential(current.lookupId),
              ...updateExpression({ set, remove, condition: all(exists('pk'), ...guards) }),
            },
          },
        ],
      ]);
    } catch (error) {
      throw await this.explainLostRace(current, error);
    }
    return next;
  }

  async delete(current: StoredToken): Promise<void> {
    // Also conditional on the key read with the token: its deletion follows, and a key
    // swapped in meanwhile (a concurrent maxRps change) would otherwise be left behind.
    try {
      await transact(this.client, [
        [
          'token',
          {
            Delete: {
              TableName: this.tableName,
              Key: keys.token(current.serviceAccountId, current.name),
              ...expression({ condition: all(equals('lookupId', current.lookupId), equals('apiKeyId', current.apiKeyId)) }),
            },
          },
        ],
        ['credential', { Delete: { TableName: this.tableName, Key: keys.credential(current.lookupId) } }],
        [
          'counter',
          { Update: { TableName: this.tableName, Key: keys.counter(current.serviceAccountId), ...updateExpression({ add: { tokenCount: -1, version: 1 } }) } },
        ],
      ]);
    } catch (error) {
      throw await this.explainLostRace(current, error);
    }
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
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.credential(lookupId), ConsistentRead: true }));
    return result.Item ? toCredential(result.Item) : undefined;
  }

  async recordUse(credential: TokenCredential, now: Date, intervalSeconds: number): Promise<boolean> {
    const cutoff = new Date(now.getTime() - intervalSeconds * 1000).toISOString();
    if (credential.lastUsedAt !== null && credential.lastUsedAt > cutoff) return false;
    const at = now.toISOString();
    try {
      // Both items in one transaction; the condition on the credential makes concurrent
      // requests of one token write once per interval, however many there are.
      await transact(this.client, [
        [
          'credential',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.credential(credential.lookupId),
              ...updateExpression({ set: { lastUsedAt: at }, condition: all(exists('pk'), either(absent('lastUsedAt'), lessThan('lastUsedAt', cutoff))) }),
            },
          },
        ],
        [
          'token',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.token(credential.serviceAccountId, credential.name),
              ...updateExpression({ set: { lastUsedAt: at }, condition: equals('lookupId', credential.lookupId) }),
            },
          },
        ],
      ]);
      return true;
    } catch {
      // Losing the race to another request, or a transient failure, only costs one
      // timestamp; it must never refuse a valid call.
      return false;
    }
  }

  async reconcileCount(accountId: string): Promise<boolean> {
    const counter = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.counter(accountId), ConsistentRead: true }));
    const recorded = Number(counter.Item?.tokenCount ?? 0);
    const version = counter.Item?.version as number | undefined;
    let stored = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': accountPartition(accountId), ':prefix': prefixes.token },
          ConsistentRead: true,
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      stored += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    if (stored >= recorded) return false;
    try {
      // Only if no create or delete landed since the counter was read (before the count).
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.counter(accountId),
          ...updateExpression({ set: { tokenCount: stored }, condition: equals('version', version) }),
        }),
      );
      return true;
    } catch {
      return false;
    }
  }

  async *all(): AsyncIterable<StoredToken> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          FilterExpression: 'begins_with(pk, :account) AND begins_with(sk, :token)',
          ExpressionAttributeValues: { ':account': prefixes.account, ':token': prefixes.token },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield toStoredToken(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}
