import { randomBytes } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError } from '../kernel/errors.js';
import type { KeyRequest, RateLimits } from '../tokens/ports.js';
import type { TokenBinding } from '../kernel/model.js';
import { exists, expression } from '../dynamodb/expressions.js';
import { keys } from '../dynamodb/keys.js';
import { TokenBuckets } from './token-buckets.js';

/** What the local gateway does with a request, by the usage key the authorizer named. */
export type Admission =
  | { allowed: true }
  | { allowed: false; reason: 'throttled'; headers: Record<string, string> }
  | { allowed: false; reason: 'invalid-key' };

interface LocalKey {
  rps: number;
  enabled: boolean;
}

const SHARED_KEY = 'local-unthrottled';

/**
 * `maxRps` under `npm start`: the local stand-in for API Gateway's keys and usage plans,
 * behind the same port the use cases call in AWS. A limited token gets a key of its own
 * with its rate; the local gateway admits each request by the key the authorizer named,
 * through a token bucket of rate N and burst N per key, as a usage plan throttles each
 * key. Everyone else shares one unthrottled key.
 *
 * Keys are kept in the table as well as in memory, so that limits survive a restart of
 * `npm start` (data under `.local/`); the memory copy is filled on first use.
 */
export class LocalRateLimits implements RateLimits {
  private readonly keys = new Map<string, LocalKey>();
  private readonly buckets: TokenBuckets;

  constructor(private readonly options: { documents: DynamoDBDocumentClient; tableName: string; now?: () => number }) {
    this.buckets = new TokenBuckets(options.now);
  }

  async bind(request: KeyRequest): Promise<TokenBinding> {
    const usageKey = randomBytes(30).toString('base64url');
    const apiKeyId = `local-${request.lookupId}-${randomBytes(4).toString('hex')}`;
    const key: LocalKey = { rps: request.maxRps, enabled: request.enabled };
    await this.options.documents.send(
      new PutCommand({ TableName: this.options.tableName, Item: { ...keys.localKey(usageKey), apiKeyId, ...key } }),
    );
    this.keys.set(usageKey, key);
    return { apiKeyId, usageKey };
  }

  async setEnabled(binding: TokenBinding, enabled: boolean): Promise<void> {
    try {
      await this.options.documents.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: keys.localKey(binding.usageKey),
          ...expression({ set: { enabled }, condition: exists('pk') }),
        }),
      );
    } catch (error) {
      // As in API Gateway: a key that is gone was replaced or deleted meanwhile.
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException')
        throw new ConcurrentUpdateError({ cause: error });
      throw error;
    }
    const key = this.keys.get(binding.usageKey);
    if (key) key.enabled = enabled;
  }

  async unbind(binding: TokenBinding): Promise<void> {
    await this.options.documents.send(
      new DeleteCommand({ TableName: this.options.tableName, Key: keys.localKey(binding.usageKey) }),
    );
    this.keys.delete(binding.usageKey);
    this.buckets.forget(binding.usageKey);
  }

  async sharedUsageKey(): Promise<string> {
    return SHARED_KEY;
  }

  /** Admits or refuses one request, as the usage plan of `usageKey` would. */
  async admit(usageKey: string | undefined): Promise<Admission> {
    if (usageKey === SHARED_KEY) return { allowed: true };
    const key = usageKey === undefined ? undefined : await this.key(usageKey);
    // API Gateway refuses a missing, unknown or disabled key before it throttles.
    if (!key?.enabled || usageKey === undefined) return { allowed: false, reason: 'invalid-key' };
    const verdict = this.buckets.take(usageKey, key.rps);
    return verdict.allowed ? verdict : { allowed: false, reason: 'throttled', headers: verdict.headers };
  }

  private async key(usageKey: string): Promise<LocalKey | undefined> {
    const known = this.keys.get(usageKey);
    if (known) return known;
    const { Item } = await this.options.documents.send(
      new GetCommand({ TableName: this.options.tableName, Key: keys.localKey(usageKey), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const key = { rps: Number(Item.rps), enabled: Item.enabled === true };
    this.keys.set(usageKey, key);
    return key;
  }
}
