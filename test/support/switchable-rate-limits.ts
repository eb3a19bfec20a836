import type { RateHolder, UsageKeys } from '../../shared/auth/ports.js';
import type { KeyOwner, RateLimits } from '../../shared/tokens/ports.js';
import type { Admission } from '../../shared/ratelimit/local-rate-limits.js';

/**
 * A rate limiter a test can switch while its service runs: local first, then as in AWS
 * (the key worker's queue and the published shared keys, behind fakes) for the part of a
 * file that runs "as in AWS". The runtime is built once, as in a Lambda; only what stands
 * behind these ports changes.
 */
export class SwitchableRateLimits implements RateLimits, UsageKeys {
  constructor(
    public limits: RateLimits,
    public keys: UsageKeys,
  ) {}

  use(limits: RateLimits, keys: UsageKeys): void {
    this.limits = limits;
    this.keys = keys;
  }

  keyChanged(owner: KeyOwner, deletedKeyId?: string): Promise<void> {
    return this.limits.keyChanged(owner, deletedKeyId);
  }
  keyFor(holder: RateHolder, at: Date): Promise<string> {
    return this.keys.keyFor(holder, at);
  }
  /** The local gateway's admission: the local limiter's while it is current; API Gateway's keys are not enforced locally. */
  async admit(usageKey: string | undefined): Promise<Admission> {
    const local = this.keys as Partial<{ admit: (key: string | undefined) => Promise<Admission> }>;
    return local.admit ? local.admit(usageKey) : { allowed: true };
  }
}
