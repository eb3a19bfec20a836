import { describe, expect, it } from '@jest/globals';
import { simulateControlPlane } from './control-plane.js';

/**
 * API Gateway's control-plane quotas are the account's, shared with every other API in it:
 * 10 calls a second in all (burst 40), 5 a second of CreateApiKey. These runs hold the
 * whole service to them (see control-plane.ts): a design that would be throttled in AWS
 * is throttled here, and its creates would fail.
 *
 * The 1,000 creates run on the in-memory adapters (the port-contract suites hold them to
 * DynamoDB's): what is at stake is the key worker's pace against the quotas, not the
 * table, and DynamoDB Local's round trips were most of the run's CPU. A smaller run goes
 * through the whole local service over HTTP on DynamoDB Local, as `npm run bench` does.
 */

const dynamodbEndpoint = () => {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run the tests with npm test');
  return endpoint;
};

const allOnOwnKeys = (creates: number) => ({
  creates,
  answered201: creates,
  overQuotaCalls: 0,
  capacityStatus: 409,
  capacityCode: 'RATE_LIMIT_CAPACITY_REACHED',
  deadLetters: 0,
  notOnOwnKey: [],
  // Two calls a key (CreateApiKey, CreateUsagePlanKey): nothing repeated, nothing spent on plans.
  controlPlaneCalls: 2 * creates,
});

describe('1,000 limited creates within one simulated minute, within API Gateway’s quotas', () => {
  it('answers every create 201, calls over no quota, puts every token on its own key within 10 minutes, and refuses one beyond the ceiling with 409', async () => {
    const figures = await simulateControlPlane();
    expect(figures).toMatchObject(allOnOwnKeys(1000));
    expect(figures.windowSeconds).toBeLessThanOrEqual(60);
    expect(figures.allOwnKeysWithinSeconds).toBeLessThanOrEqual(600);
  });

  it('does the same over HTTP, through the whole local service on DynamoDB Local', async () => {
    const figures = await simulateControlPlane({ dynamodbEndpoint: dynamodbEndpoint(), creates: 60 });
    expect(figures).toMatchObject(allOnOwnKeys(60));
    expect(figures.allOwnKeysWithinSeconds).toBeLessThanOrEqual(600);
  });

  it('backs off while others in the account take most of the quota, and still gets every token its own key', async () => {
    const figures = await simulateControlPlane({ creates: 200, others: { perSecond: 9, seconds: 120 } });
    expect(figures).toMatchObject({ answered201: 200, capacityStatus: 409, deadLetters: 0, notOnOwnKey: [] });
    // Refused for the quota (theirs or ours), and answered with a backoff: none lost.
    expect(figures.overQuotaCalls).toBeGreaterThan(0);
    expect(figures.controlPlaneCalls).toBeGreaterThan(400);
  });
});
