import { randomBytes } from 'node:crypto';
import { ConcurrentUpdateError } from '../kernel/errors.js';
import type { TokenBinding } from '../kernel/model.js';
import type { KeyRequest, RateLimits } from '../tokens/ports.js';

/** A key as the rate limiter holds it. */
export interface MemoryKey {
  lookupId: string;
  usageKey: string;
  maxRps: number;
  enabled: boolean;
}

/**
 * The rate limiter in memory, for the use cases in the fast test tier: the keys it holds,
 * by id, with their rate and state, so a test can see that a token's key follows it. Like
 * the others, every method is safe to call again (a key already gone is deleted).
 */
export class MemoryRateLimits implements RateLimits {
  readonly keys = new Map<string, MemoryKey>();
  private readonly shared = `shared-${randomBytes(8).toString('hex')}`;

  async bind(request: KeyRequest): Promise<TokenBinding> {
    const apiKeyId = `key-${request.lookupId}-${randomBytes(4).toString('hex')}`;
    const usageKey = randomBytes(30).toString('base64url');
    this.keys.set(apiKeyId, { lookupId: request.lookupId, usageKey, maxRps: request.maxRps, enabled: request.enabled });
    return { apiKeyId, usageKey };
  }

  async setEnabled(binding: TokenBinding, enabled: boolean): Promise<void> {
    const key = this.keys.get(binding.apiKeyId);
    // As in API Gateway: a key that is gone was replaced or deleted meanwhile.
    if (!key) throw new ConcurrentUpdateError();
    this.keys.set(binding.apiKeyId, { ...key, enabled });
  }

  async unbind(binding: TokenBinding): Promise<void> {
    this.keys.delete(binding.apiKeyId);
  }

  async sharedUsageKey(): Promise<string> {
    return this.shared;
  }
}
