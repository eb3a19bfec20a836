import type { Throttle } from './gateway.js';

/**
 * The local emulation of a usage plan's throttle, per token: a token bucket of rate N
 * and burst N, where N is the token's `maxRps` as the authorizer returned it on this
 * very request (so a change applies at once). Callers without a limit pass freely.
 */
export function tokenBucketThrottle(now: () => number = () => performance.now()): Throttle {
  const buckets = new Map<string, { tokens: number; at: number; rate: number }>();
  return (result) => {
    const context = result.context ?? {};
    const id = context.tokenId;
    const rate = Number(context.maxRps);
    if (typeof id !== 'string' || !Number.isFinite(rate) || rate <= 0) return { allowed: true };
    const t = now();
    let bucket = buckets.get(id);
    if (!bucket) {
      bucket = { tokens: rate, at: t, rate };
      buckets.set(id, bucket);
    }
    bucket.tokens = Math.min(rate, bucket.tokens + ((t - bucket.at) / 1000) * bucket.rate);
    bucket.rate = rate;
    bucket.at = t;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
    return {
      allowed: false,
      headers: {
        'Retry-After': String(retryAfter),
        'RateLimit-Policy': `"maxrps";q=${rate};w=1`,
        RateLimit: `"maxrps";r=0;t=${retryAfter}`,
      },
    };
  };
}
