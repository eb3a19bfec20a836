import { throttledHeaders } from '../http/throttled-response.js';

export type Take = { allowed: true } | { allowed: false; headers: Record<string, string> };

/** Beyond this many buckets, full ones are dropped: they hold nothing a new bucket would not. */
const SWEEP_ABOVE = 10_000;

/**
 * Token buckets of rate N and burst N, one per key: how a usage plan throttles each of
 * its keys. A key whose rate changes starts a new, full bucket, as a new key in another
 * plan would. The clock is a parameter, so tests count exactly.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number; rate: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  take(id: string, rate: number): Take {
    const t = this.now();
    let bucket = this.buckets.get(id);
    if (!bucket || bucket.rate !== rate) {
      if (!bucket && this.buckets.size >= SWEEP_ABOVE) this.sweep(t);
      bucket = { tokens: rate, at: t, rate };
      this.buckets.set(id, bucket);
    }
    bucket.tokens = Math.min(rate, bucket.tokens + ((t - bucket.at) / 1000) * rate);
    bucket.at = t;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, headers: throttledHeaders(rate, Math.max(1, Math.ceil((1 - bucket.tokens) / rate))) };
  }

  forget(id: string): void {
    this.buckets.delete(id);
  }

  private sweep(t: number): void {
    for (const [id, bucket] of this.buckets) {
      if (bucket.tokens + ((t - bucket.at) / 1000) * bucket.rate >= bucket.rate) this.buckets.delete(id);
    }
  }
}
