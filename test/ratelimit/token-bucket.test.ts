import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { TokenBuckets } from '../../shared/ratelimit/token-buckets.js';

/** The local limiter on a clock the test moves: exact counts, no timing noise. */

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** A throttle over one set of buckets: take from key `id` at `rate`. */
function tokenBucketThrottle(now: () => number) {
  const buckets = new TokenBuckets(now);
  return ({ id, rate }: { id: string; rate: number }) => buckets.take(id, rate);
}
const asToken = (id: string, rate: number) => ({ id, rate });

describe('the local token bucket', () => {
  it('admits a burst of N at once, then one every 1/N seconds', () => {
    const time = clock();
    const throttle = tokenBucketThrottle(time.now);
    const admitted = () => throttle(asToken('a', 4)).allowed;
    expect([admitted(), admitted(), admitted(), admitted(), admitted()]).toStrictEqual([true, true, true, true, false]);
    time.advance(249);
    expect(admitted()).toBe(false);
    time.advance(1);
    expect(admitted()).toBe(true);
    expect(admitted()).toBe(false);
  });

  it('holds at most a burst of N however long a key was idle', () => {
    const time = clock();
    const throttle = tokenBucketThrottle(time.now);
    const burst = () => Array.from({ length: 12 }, () => throttle(asToken('idle', 5)).allowed).filter(Boolean).length;
    expect(burst()).toBe(5);
    time.advance(60_000);
    expect(burst()).toBe(5);
  });

  it('never admits more than N*T + N in T seconds, however requests arrive', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 300 }),
        (rps, gaps) => {
          const time = clock();
          const throttle = tokenBucketThrottle(time.now);
          let admitted = 0;
          for (const gap of gaps) {
            time.advance(gap);
            if (throttle(asToken('a', rps)).allowed) admitted += 1;
          }
          const seconds = time.now() / 1000;
          return admitted <= Math.floor(rps * seconds + rps + 1e-9);
        },
      ),
    );
  });

  it('admits N*T + N under a load ten times the rate, within one request', () => {
    for (const rps of [1, 5, 50]) {
      const time = clock();
      const throttle = tokenBucketThrottle(time.now);
      let admitted = 0;
      const interval = 1000 / (10 * rps);
      for (let t = 0; t <= 5000; t += interval) {
        time.advance(t - time.now());
        if (throttle(asToken('a', rps)).allowed) admitted += 1;
      }
      // `rate ${rps}: admitted ${admitted}`
      expect(Math.abs(admitted - (rps * 5 + rps)) <= 1).toBeTruthy();
    }
  });

  it('keeps one bucket per token', () => {
    const throttle = tokenBucketThrottle(clock().now);
    expect(throttle(asToken('a', 1)).allowed).toBe(true);
    expect(throttle(asToken('a', 1)).allowed).toBe(false);
    expect(throttle(asToken('b', 1)).allowed).toBe(true);
  });

  it('starts a new full bucket when the limit changes', () => {
    const time = clock();
    const throttle = tokenBucketThrottle(time.now);
    expect(throttle(asToken('a', 1)).allowed).toBe(true);
    expect(throttle(asToken('a', 1)).allowed).toBe(false);
    for (let i = 0; i < 10; i++) expect(throttle(asToken('a', 10)).allowed).toBe(true);
    expect(throttle(asToken('a', 10)).allowed).toBe(false);
    expect(throttle(asToken('a', 2)).allowed).toBe(true);
    expect(throttle(asToken('a', 2)).allowed).toBe(true);
    expect(throttle(asToken('a', 2)).allowed).toBe(false);
  });

  it('tells a refused client the policy, what is left and when to retry, in the draft RateLimit syntax', () => {
    const throttle = tokenBucketThrottle(clock().now);
    throttle(asToken('a', 3));
    throttle(asToken('a', 3));
    throttle(asToken('a', 3));
    const verdict = throttle(asToken('a', 3));
    expect(verdict.allowed).toBe(false);
    expect(!verdict.allowed && verdict.headers).toStrictEqual({
      'Retry-After': '1',
      'RateLimit-Policy': '"maxrps";q=3;w=1',
      RateLimit: '"maxrps";r=0;t=1',
    });
  });
});
