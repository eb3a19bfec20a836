import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { toTokenView } from '../../shared/kernel/model.js';
import { enforcedRate, RATE_TIERS, TIER_SHORTFALL, TOKEN_MAX_RPS } from '../../shared/kernel/rate-tiers.js';

describe('the rate tiers', () => {
  it('are the 31 rates of the ladder, ascending from 1 to the last at or below what one token can reach', () => {
    expect(RATE_TIERS).toStrictEqual([
      1, 2, 3, 4, 6, 8, 11, 14, 18, 23, 29, 37, 47, 59, 74, 93, 117, 147, 184, 231, 289, 362, 453, 567, 709, 887, 1109,
      1387, 1734, 2168, 2711,
    ]);
    // No plan for a rate no token may be given: 3000 is the most a token (or a policy) may have.
    expect(TOKEN_MAX_RPS).toBe(3_000);
  });

  it('hold every accepted maxRps to a rate never above it and never more than 20 % below it', () => {
    const broken: string[] = [];
    for (let maxRps = 1; maxRps <= TOKEN_MAX_RPS; maxRps++) {
      const enforced = enforcedRate(maxRps);
      if (!RATE_TIERS.includes(enforced)) broken.push(`${maxRps}: ${enforced} is no tier`);
      if (enforced > maxRps) broken.push(`${maxRps}: ${enforced} is above it`);
      if (enforced < (1 - TIER_SHORTFALL) * maxRps) broken.push(`${maxRps}: ${enforced} is over 20 % below it`);
    }
    expect(broken).toStrictEqual([]);
  });

  it('are as few as the promise allows: each tier serves every value up to the next, and not the next', () => {
    // Greedy from 1 is optimal: a tier can never serve a value above 1.25 times itself.
    for (const [i, tier] of RATE_TIERS.entries()) {
      const next = RATE_TIERS[i + 1] ?? TOKEN_MAX_RPS + 1;
      expect(tier >= (1 - TIER_SHORTFALL) * (next - 1)).toBe(true);
      if (next <= TOKEN_MAX_RPS) expect(tier < (1 - TIER_SHORTFALL) * next).toBe(true);
    }
  });

  it('hold a tier to itself, and the value just below the next tier to the tier under it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: RATE_TIERS.length - 1 }), (i) => {
        const tier = RATE_TIERS[i]!;
        expect(enforcedRate(tier)).toBe(tier);
        const next = RATE_TIERS[i + 1];
        if (next !== undefined) expect(enforcedRate(next - 1)).toBe(tier);
      }),
    );
  });

  it('are in every token view: the enforced rate beside the configured one, null without a limit', () => {
    const record = {
      serviceAccountId: 'sa-etl',
      name: 'ci',
      lookupId: 'L',
      prefix: 'p',
      status: 'ACTIVE' as const,
      expiresAt: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      createdBy: 'alice',
      updatedAt: '2026-01-01T00:00:00.000Z',
      lastUsedAt: null,
      rotatedAt: null,
      rotatedBy: null,
      previousSecret: null,
    };
    expect(toTokenView({ ...record, maxRps: 100 })).toMatchObject({ maxRps: 100, enforcedMaxRps: 93 });
    expect(toTokenView({ ...record, maxRps: 5 })).toMatchObject({ maxRps: 5, enforcedMaxRps: 4 });
    expect(toTokenView({ ...record, maxRps: null })).toMatchObject({ maxRps: null, enforcedMaxRps: null });
  });
});
