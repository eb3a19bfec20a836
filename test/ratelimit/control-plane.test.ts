import { expect, it } from '@jest/globals';
import { simulateControlPlane } from './control-plane.js';
import { overHttp } from './control-plane-http.js';

/**
 * The control-plane simulation (the 1,000 creates run in test/unit/control-plane.test.ts,
 * on the in-memory adapters) through the whole local service over HTTP on DynamoDB Local:
 * the endpoints answer 201 without calling API Gateway, the authorizer names each token's
 * own key once the worker made it, and the ceiling answers 409 with its code.
 */

it('answers limited creates over HTTP 201 within the quotas, puts every token on its own key, and refuses one beyond the ceiling with 409', async () => {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run the tests with npm test');
  const figures = await simulateControlPlane({ service: overHttp(endpoint), creates: 60 });
  expect(figures).toMatchObject({
    creates: 60,
    answered201: 60,
    overQuotaCalls: 0,
    capacityStatus: 409,
    capacityCode: 'RATE_LIMIT_CAPACITY_REACHED',
    controlPlaneCalls: 120,
    deadLetters: 0,
    notOnOwnKey: [],
  });
  expect(figures.allOwnKeysWithinSeconds).toBeLessThanOrEqual(600);
});
