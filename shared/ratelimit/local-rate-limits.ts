import { randomBytes } from 'node:crypto';
import type { RateHolder, UsageKeys } from '../auth/ports.js';
import type { Clock } from '../kernel/ports.js';
import type { KeyOwner, RateLimits } from '../tokens/ports.js';
import { type KeyGateway, type KeyOwners, syncKey } from './key-worker.js';
import { ownKey } from './usage-keys.js';
import { TokenBuckets } from './token-buckets.js';

/** What the local gateway does with a request, by the usage key the authorizer named. */
export type Admission =
  | { allowed: true }
  | { allowed: false; reason: 'throttled'; headers: Record<string, string> }
  | { allowed: false; reason: 'invalid-key' };

const UNTHROTTLED = 'local-unthrottled';
/** A local usage key names its bucket and its rate: `L<rps>.<bucket>`. */
const LOCAL_KEY = /^L([1-9][0-9]*)\.(.+)$/;

/**
 * `maxRps` under `npm start`, behind the same ports as in AWS, at exactly the configured
 * rate (no tiers: nothing here has API Gateway's quotas). The key worker runs inline, on
 * keys and plans that cost nothing, so a token has its own key (a policy's tokens share
 * the policy's) before its create answers; the local gateway admits each request through
 * a token bucket of rate N and burst N per key, as a usage plan throttles each key.
 * Callers without a limit share the unthrottled key.
 */
export class LocalRateLimits implements RateLimits, UsageKeys, KeyGateway {
  readonly warmupMs = 0;
  private readonly buckets: TokenBuckets;

  constructor(
    private readonly owners: KeyOwners,
    private readonly clock: Clock,
    now?: () => number,
  ) {
    this.buckets = new TokenBuckets(now);
  }

  keyChanged(owner: KeyOwner, deletedKeyId?: string): Promise<void> {
    return syncKey({ owners: this.owners, gateway: this, clock: this.clock }, { owner, ...{ deletedKeyId } });
  }

  planFor(maxRps: number): { planId: string; rps: number } {
    return { planId: `local-rps${maxRps}`, rps: maxRps };
  }

  async createKey(): Promise<{ id: string; value: string }> {
    return { id: `local-${randomBytes(6).toString('hex')}`, value: randomBytes(20).toString('base64url') };
  }
  async addToPlan(): Promise<void> {}
  async removeFromPlan(): Promise<void> {}
  async deleteKey(keyId: string): Promise<void> {
    this.buckets.forget(keyId);
  }

  async keyFor(holder: RateHolder, at: Date): Promise<string> {
    if (holder.maxRps === null) return UNTHROTTLED;
    const bucket = ownKey(holder, at) === undefined ? holder.lookupId : holder.key.apiKeyId;
    return `L${holder.maxRps}.${bucket}`;
  }

  /** Admits or refuses one request, as the usage plan of `usageKey` would. */
  async admit(usageKey: string | undefined): Promise<Admission> {
    if (usageKey === UNTHROTTLED) return { allowed: true };
    const match = usageKey === undefined ? null : LOCAL_KEY.exec(usageKey);
    // API Gateway refuses a missing or unknown key before it throttles.
    if (!match) return { allowed: false, reason: 'invalid-key' };
    const verdict = this.buckets.take(match[2]!, Number(match[1]));
    return verdict.allowed ? verdict : { allowed: false, reason: 'throttled', headers: verdict.headers };
  }
}
