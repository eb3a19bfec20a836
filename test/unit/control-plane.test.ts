import { describe, expect, it } from '@jest/globals';
import { simulateControlPlane } from '../ratelimit/control-plane.js';

/**
 * API Gateway's control-plane quotas are the account's, shared with every other API in it:
 * 10 calls a second in all (burst 40), 5 a second of CreateApiKey. These runs hold the
 * service to them (see test/ratelimit/control-plane.ts): a design that would be throttled
 * in AWS is throttled here, and its creates would fail.
 *
 * They run the create use case and the key worker on the in-memory adapters, which the
 * port-contract suites hold to DynamoDB's: what is at stake is the worker's pace against
 * the quotas. test/ratelimit/control-plane.test.ts runs the same simulation over HTTP on
 * DynamoDB Local, as `npm run bench` does.
 */

describe('1,000 limited creates within one simulated minute, within API Gateway’s quotas', () => {
  it('answers every create 201, calls over no quota, puts every token on its own key within 10 minutes, and refuses one beyond the ceiling with 409', async () => {
    const figures = await simulateControlPlane();
    expect(figures).toMatchObject({
      creates: 1000,
      answered201: 1000,
      overQuotaCalls: 0,
      capacityStatus: 409,
      capacityCode: 'RATE_LIMIT_CAPACITY_REACHED',
      deadLetters: 0,
      notOnOwnKey: [],
    });
    expect(figures.windowSeconds).toBeLessThanOrEqual(60);
    expect(figures.allOwnKeysWithinSeconds).toBeLessThanOrEqual(600);
    // Two calls a key (CreateApiKey, CreateUsagePlanKey): nothing repeated, nothing spent on plans.
    expect(figures.controlPlaneCalls).toBe(2000);
  });

  it('backs off while others in the account take most of the quota, and still gets every token its own key', async () => {
    const figures = await simulateControlPlane({ creates: 200, others: { perSecond: 9, seconds: 120 } });
    expect(figures).toMatchObject({ answered201: 200, capacityStatus: 409, deadLetters: 0, notOnOwnKey: [] });
    // Refused for the quota (theirs or ours), and answered with a backoff: none lost.
    expect(figures.overQuotaCalls).toBeGreaterThan(0);
    expect(figures.controlPlaneCalls).toBeGreaterThan(400);
  });
});
