import type { KeyRequest, RateLimits } from '../../shared/tokens/ports.js';
import type { TokenBinding } from '../../shared/kernel/model.js';
import type { Admission } from '../../shared/ratelimit/local-rate-limits.js';

/**
 * A rate limiter a test can switch while its service runs: local first, then API
 * Gateway's (behind a fake control plane) for the part of a file that runs "as in AWS".
 * The runtime is built once, as in a Lambda; only what stands behind this port changes.
 */
export class SwitchableRateLimits implements RateLimits {
  constructor(public current: RateLimits) {}

  bind(request: KeyRequest): Promise<TokenBinding> {
    return this.current.bind(request);
  }
  setEnabled(binding: TokenBinding, enabled: boolean): Promise<void> {
    return this.current.setEnabled(binding, enabled);
  }
  unbind(binding: TokenBinding): Promise<void> {
    return this.current.unbind(binding);
  }
  sharedUsageKey(): Promise<string> {
    return this.current.sharedUsageKey();
  }
  /** The local gateway's admission: the local limiter's while it is current; API Gateway's keys are not enforced locally. */
  async admit(usageKey: string | undefined): Promise<Admission> {
    const local = this.current as Partial<{ admit: (key: string | undefined) => Promise<Admission> }>;
    return local.admit ? local.admit(usageKey) : { allowed: true };
  }
}
