import { throttledHeaders } from '../../shared/ratelimit/throttled-response.js';
import type { Throttle } from './gateway.js';

interface Bucket {
  tokens: number;
  at: number;
  rate: number;
}

/** Beyond this many buckets, full ones (idle for a second or more) are dropped: they hold nothing a new bucket would not. */
const SWEEP_ABOVE = 10_000;

/**
 * The local emulation of a usage plan's throttle, per token: a token bucket of rate N
 * and burst N, where N is the token's `maxRps` as the authorizer read it on this very
 * request, so a changed limit applies from the next request on. Callers without a limit (JWT
 * users, tokens with `maxRps: null`) pass freely, as the unthrottled plan lets them.
 *
 * It runs after the authorizer, as in API Gateway: a suspended token is refused with 401
 * before it could be counted, let alone throttled.
 */
export function tokenBucketThrottle(now: () => number = () => performance.now()): Throttle {
  const buckets = new Map<string, Bucket>();

  function sweep(t: number): void {
    for (const [id, bucket] of buckets) {
      if (bucket.tokens + ((t - bucket.at) / 1000) * bucket.rate >= bucket.rate) buckets.delete(id);
    }
  }

  return (result) => {
    const context = result.context ?? {};
    const id = context.tokenId;
    const rate = Number(context.maxRps);
    if (typeof id !== 'string' || context.maxRps === undefined || !Number.isFinite(rate) || rate <= 0) return { allowed: true };
    const t = now();
    let bucket = buckets.get(id);
    // A new limit starts a new, full bucket: in AWS it comes with a new key in another
    // plan, whose bucket starts full too.
    if (!bucket || bucket.rate !== rate) {
      if (!bucket && buckets.size >= SWEEP_ABOVE) sweep(t);
      bucket = { tokens: rate, at: t, rate };
      buckets.set(id, bucket);
    }
    bucket.tokens = Math.min(rate, bucket.tokens + ((t - bucket.at) / 1000) * rate);
    bucket.at = t;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, headers: throttledHeaders(rate, Math.max(1, Math.ceil((1 - bucket.tokens) / rate))) };
  };
}
