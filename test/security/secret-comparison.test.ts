import * as crypto from 'node:crypto';
import { expect, it, jest } from '@jest/globals';

/**
 * Observes the very `timingSafeEqual` that `secretMatches` calls: the module is loaded
 * after `node:crypto` is replaced by a copy whose `timingSafeEqual` records its inputs.
 */
const calls: number[][] = [];
jest.unstable_mockModule('node:crypto', () => ({
  ...crypto,
  timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    calls.push([a.byteLength, b.byteLength]);
    return crypto.timingSafeEqual(a, b);
  },
}));
const { hashSecret, secretMatches } = await import('../../shared/kernel/token-format.js');

it('runs every comparison, wherever the secrets differ, through timingSafeEqual on full-length digests', () => {
  const secret = 'S'.repeat(43);
  const stored = hashSecret(secret);
  const results = [
    secretMatches(secret, stored),
    secretMatches(`X${secret.slice(1)}`, stored),
    secretMatches(`${secret.slice(0, 21)}X${secret.slice(22)}`, stored),
    secretMatches(`${secret.slice(0, -1)}X`, stored),
  ];
  expect(results).toStrictEqual([true, false, false, false]);
  // Four comparisons, four constant-time compares: none returned early.
  expect(calls).toHaveLength(4);
  for (const [a, b] of calls) {
    expect(a).toBe(b);
    // A whole SHA-256 digest, not a prefix.
    expect(a).toBeGreaterThanOrEqual(32);
  }
});
