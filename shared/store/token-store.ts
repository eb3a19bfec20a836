import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { TokenCredential, TokenRecord, TokenStatus } from '../model.js';
import {
  ConcurrentUpdateError,
  TokenLimitReachedError,
  TokenNameTakenError,
  TokenNotFoundError,
} from '../errors.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';

export interface NewToken {
  record: TokenRecord;
  secretHash: string;
  /** Epoch seconds after which DynamoDB TTL may remove the token (expiry + retention). */
  removeAfter: number | null;
  /** Extra attributes kept on both items (the API key binding, when there is one). */
  binding?: TokenBinding;
}

/** How a token is tied to its API Gateway key; absent locally and before binding. */
export interface TokenBinding {
  apiKeyId: string;
  usageKey: string;
}

export interface TokenChanges {
  status?: TokenStatus;
  maxRps?: number | null;
  /**
   * A new API key binding, or null to remove it. Written only if the stored binding is
   * still the one `current` was read with, so two concurrent changes cannot both swap keys.
   */
  binding?: TokenBinding | null;
  /**
   * Write only if the token's status, maxRps and key are still those `current` was read
   * with: API Gateway was changed on the strength of that read, and a concurrent change
   * in between would leave the two disagreeing. A lost race is a ConcurrentUpdateError.
   */
  onlyIfUnchanged?: boolean;
}

export interface TokenPage {
  tokens: TokenRecord[];
  /** Name of the last token returned when more follow. */
  lastName: string | undefined;
}

/** Persistence of tokens. Every write is conditional, so concurrent requests cannot break the rules. */
export interface TokenStore {
  /** Adds a token; throws TokenNameTakenError or TokenLimitReachedError. */
  create(token: NewToken, limit: number): Promise<void>;
  list(accountId: string, limit: number, afterName?: string): Promise<TokenPage>;
  get(accountId: string, name: string): Promise<(TokenRecord & Partial<TokenBinding>) | undefined>;
  /** Applies changes to a token read just before (its lookup id guards against a swap). */
  update(current: TokenRecord & Partial<TokenBinding>, changes: TokenChanges, updatedAt: string): Promise<TokenRecord>;
  /** Removes a token read just before; throws TokenNotFoundError if it went meanwhile. */
  delete(current: TokenRecord & Partial<TokenBinding>): Promise<void>;
  /** The one strongly consistent read that verifies a presented token. */
  getCredential(lookupId: string): Promise<(TokenCredential & Partial<TokenBinding>) | undefined>;
  /** Records use, at most once per interval; never throws. */
  recordUse(credential: TokenCredential, now: Date, intervalSeconds: number): Promise<boolean>;
  /** Recounts an account's stored tokens and corrects its counter if it drifted (TTL removals). */
  reconcileCount(accountId: string): Promise<boolean>;
}

const RECORD_FIELDS = [
  'serviceAccountId',
  'name',
  'lookupId',
  'prefix',
  'status',
  'maxRps',
  'expiresAt',
  'createdAt',
  'createdBy',
  'updatedAt',
  'lastUsedAt',
] as const;

/** The API key binding stored on a token item, when it has one. */
function bindingOf(item: Record<string, unknown>): Partial<TokenBinding> {
  return {
    ...(typeof item.apiKeyId === 'string' ? { apiKeyId: item.apiKeyId } : {}),
    ...(typeof item.usageKey === 'string' ? { usageKey: item.usageKey } : {}),
  };
}

/** A listed token item as the domain sees it, with its key binding when it has one. */
export function toRecord(item: Record<string, unknown>): TokenRecord & Partial<TokenBinding> {
  const record = Object.fromEntries(RECORD_FIELDS.map((field) => [field, item[field] ?? null])) as unknown as TokenRecord;
  return {
    ...record,
    ...bindingOf(item),
  };
}

function cancellationCodes(error: unknown): (string | undefined)[] | undefined {
  if (error instanceof TransactionCanceledException || (error as { name?: string })?.name === 'TransactionCanceledException') {
    return ((error as TransactionCanceledException).CancellationReasons ?? []).map((reason) => reason.Code);
  }
  return undefined;
}

export class DynamoTokenStore implements TokenStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(token: NewToken, limit: number): Promise<void> {
    const { record, secretHash, removeAfter, binding } = token;
    const ttl = removeAfter === null ? {} : { [TTL_ATTRIBUTE]: removeAfter };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...keys.token(record.serviceAccountId, record.name), ...record, ...binding, ...ttl },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...keys.credential(record.lookupId),
                  lookupId: record.lookupId,
                  serviceAccountId: record.serviceAccountId,
                  name: record.name,
                  secretHash,
                  status: record.status,
                  maxRps: record.maxRps,
                  expiresAt: record.expiresAt,
                  ...binding,
                  ...ttl,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: keys.counter(record.serviceAccountId),
                // `version` moves on every create and delete, so a recount can tell that
                // nothing changed between its read and its write (a count can come back).
                UpdateExpression: 'SET tokenCount = if_not_exists(tokenCount, :zero) + :one ADD version :one',
                ConditionExpression: 'attribute_not_exists(tokenCount) OR tokenCount < :limit',
                ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':limit': limit },
              },
            },
          ],
        }),
      );
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes?.[0] === 'ConditionalCheckFailed') throw new TokenNameTakenError();
      if (codes?.[2] === 'ConditionalCheckFailed') throw new TokenLimitReachedError(limit);
      if (codes?.[1] === 'ConditionalCheckFailed') throw new ConcurrentUpdateError({ cause: error });
      if (codes?.some((code) => code === 'TransactionConflict')) throw new ConcurrentUpdateError({ cause: error });
      throw error;
    }
  }

  async list(accountId: string, limit: number, afterName?: string): Promise<TokenPage> {
    // One more than asked tells whether another page follows, so a cursor is never
    // handed out for an empty page.
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.tokenPartition(accountId), ':prefix': keys.tokenSortPrefix },
        ConsistentRead: true,
        Limit: limit + 1,
        ...(afterName === undefined ? {} : { ExclusiveStartKey: keys.token(accountId, afterName) }),
      }),
    );
    const items = (result.Items ?? []).map((item) => toRecord(item));
    const tokens = items.slice(0, limit).map(({ apiKeyId: _a, usageKey: _u, ...record }) => record);
    return { tokens, lastName: items.length > limit ? tokens.at(-1)?.name : undefined };
  }

  async get(accountId: string, name: string): Promise<(TokenRecord & Partial<TokenBinding>) | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.token(accountId, name), ConsistentRead: true }),
    );
    return result.Item ? toRecord(result.Item) : undefined;
  }

  async update(current: TokenRecord & Partial<TokenBinding>, changes: TokenChanges, updatedAt: string): Promise<TokenRecord> {
    const names: Record<string, string> = { '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':updatedAt': updatedAt, ':lookupId': current.lookupId };
    const sets = ['#updatedAt = :updatedAt'];
    for (const field of ['status', 'maxRps'] as const) {
      if (changes[field] === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = changes[field];
      sets.push(`#${field} = :${field}`);
    }
    let bindingUpdate = '';
    let guard = '';
    if (changes.binding !== undefined || changes.onlyIfUnchanged) {
      names['#apiKeyId'] = 'apiKeyId';
      if (current.apiKeyId === undefined) {
        guard = ' AND attribute_not_exists(#apiKeyId)';
      } else {
        values[':boundKeyId'] = current.apiKeyId;
        guard = ' AND #apiKeyId = :boundKeyId';
      }
    }
    if (changes.binding !== undefined) {
      names['#usageKey'] = 'usageKey';
      if (changes.binding === null) {
        bindingUpdate = ' REMOVE #apiKeyId, #usageKey';
      } else {
        values[':apiKeyId'] = changes.binding.apiKeyId;
        values[':usageKey'] = changes.binding.usageKey;
        sets.push('#apiKeyId = :apiKeyId', '#usageKey = :usageKey');
      }
    }
    if (changes.onlyIfUnchanged) {
      names['#status'] = 'status';
      names['#maxRps'] = 'maxRps';
      values[':readStatus'] = current.status;
      guard += ' AND #status = :readStatus';
      if (current.maxRps === null) {
        values[':nullType'] = 'NULL';
        guard += ' AND (attribute_not_exists(#maxRps) OR attribute_type(#maxRps, :nullType))';
      } else {
        values[':readMaxRps'] = current.maxRps;
        guard += ' AND #maxRps = :readMaxRps';
      }
    }
    const update = `SET ${sets.join(', ')}${bindingUpdate}`;
    const { ':lookupId': _unused, ...credentialValues } = values;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: keys.token(current.serviceAccountId, current.name),
                UpdateExpression: update,
                ConditionExpression: `lookupId = :lookupId${guard}`,
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: keys.credential(current.lookupId),
                UpdateExpression: update,
                ConditionExpression: `attribute_exists(pk)${guard}`,
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: credentialValues,
              },
            },
          ],
        }),
      );
    } catch (error) {
      throw await this.explainLostRace(current, error);
    }
    return {
      ...current,
      ...(changes.status === undefined ? {} : { status: changes.status }),
      ...(changes.maxRps === undefined ? {} : { maxRps: changes.maxRps }),
      ...(changes.binding === undefined ? {} : { apiKeyId: changes.binding?.apiKeyId, usageKey: changes.binding?.usageKey }),
      updatedAt,
    };
  }

  async delete(current: TokenRecord & Partial<TokenBinding>): Promise<void> {
    // Also conditional on the key read with the token: its deletion follows, and a key
    // swapped in meanwhile (a concurrent maxRps change) would otherwise be left behind.
    const bound =
      current.apiKeyId === undefined
        ? { condition: 'attribute_not_exists(apiKeyId)', values: {} }
        : { condition: 'apiKeyId = :boundKeyId', values: { ':boundKeyId': current.apiKeyId } };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: keys.token(current.serviceAccountId, current.name),
                ConditionExpression: `lookupId = :lookupId AND ${bound.condition}`,
                ExpressionAttributeValues: { ':lookupId': current.lookupId, ...bound.values },
              },
            },
            { Delete: { TableName: this.tableName, Key: keys.credential(current.lookupId) } },
            {
              Update: {
                TableName: this.tableName,
                Key: keys.counter(current.serviceAccountId),
                UpdateExpression: 'ADD tokenCount :minusOne, version :one',
                ExpressionAttributeValues: { ':minusOne': -1, ':one': 1 },
              },
            },
          ],
        }),
      );
    } catch (error) {
      throw await this.explainLostRace(current, error);
    }
  }

  /** A conditional failure means another request changed or removed the token first. */
  private async explainLostRace(current: TokenRecord, error: unknown): Promise<unknown> {
    const codes = cancellationCodes(error);
    if (!codes) return error;
    if (codes.some((code) => code === 'ConditionalCheckFailed')) {
      const now = await this.get(current.serviceAccountId, current.name);
      if (!now || now.lookupId !== current.lookupId) return new TokenNotFoundError();
    }
    return new ConcurrentUpdateError({ cause: error });
  }

  async getCredential(lookupId: string): Promise<(TokenCredential & Partial<TokenBinding>) | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.credential(lookupId), ConsistentRead: true }),
    );
    const item = result.Item;
    if (!item) return undefined;
    return {
      lookupId: item.lookupId,
      serviceAccountId: item.serviceAccountId,
      name: item.name,
      secretHash: item.secretHash,
      status: item.status,
      maxRps: item.maxRps ?? null,
      expiresAt: item.expiresAt ?? null,
      lastUsedAt: item.lastUsedAt ?? null,
      ...bindingOf(item),
    };
  }

  async recordUse(credential: TokenCredential, now: Date, intervalSeconds: number): Promise<boolean> {
    const cutoff = new Date(now.getTime() - intervalSeconds * 1000).toISOString();
    if (credential.lastUsedAt !== null && credential.lastUsedAt > cutoff) return false;
    const at = now.toISOString();
    try {
      // Both items in one transaction; the condition on the credential makes concurrent
      // requests of one token write once per interval, however many there are.
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: keys.credential(credential.lookupId),
                UpdateExpression: 'SET lastUsedAt = :at',
                ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :cutoff)',
                ExpressionAttributeValues: { ':at': at, ':cutoff': cutoff },
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: keys.token(credential.serviceAccountId, credential.name),
                UpdateExpression: 'SET lastUsedAt = :at',
                ConditionExpression: 'lookupId = :lookupId',
                ExpressionAttributeValues: { ':at': at, ':lookupId': credential.lookupId },
              },
            },
          ],
        }),
      );
      return true;
    } catch {
      // Losing the race to another request, or a transient failure, only costs one
      // timestamp; it must never refuse a valid call.
      return false;
    }
  }

  async reconcileCount(accountId: string): Promise<boolean> {
    const counter = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.counter(accountId), ConsistentRead: true }),
    );
    const recorded = Number(counter.Item?.tokenCount ?? 0);
    const version = counter.Item?.version as number | undefined;
    let stored = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.tokenPartition(accountId), ':prefix': keys.tokenSortPrefix },
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
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.counter(accountId),
          UpdateExpression: 'SET tokenCount = :stored',
          // Only if no create or delete landed since the counter was read (before the count).
          ConditionExpression: version === undefined ? 'attribute_not_exists(version)' : 'version = :version',
          ExpressionAttributeValues: { ':stored': stored, ...(version === undefined ? {} : { ':version': version }) },
        }),
      );
      return true;
    } catch {
      return false;
    }
  }
}
