import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { domainTokens, startTestService, type TestService } from '../support/service.js';

/** A deployment's stage may allow fewer requests a second than 10,000: no token may be given more. */
let api: TestService;
const FIN = domainTokens('finance', 'sa-etl');

beforeAll(async () => {
  api = await startTestService({ env: { MAX_RPS: '100' } });
});
afterAll(async () => api?.stop());

describe('maxRps against the stage’s own rate limit', () => {
  it('refuses a maxRps above it on create and on update, naming the ceiling, and accepts it exactly', async () => {
    const over = await api.call('POST', FIN, { as: 'alice', body: { name: 'too-fast', maxRps: 101 } });
    expect(over.status).toBe(400);
    expect(over.body.errors).toStrictEqual([{ field: 'maxRps', message: 'must be an integer from 1 to 100, or null' }]);
    expect((await api.call('POST', FIN, { as: 'alice', body: { name: 'fast', maxRps: 100 } })).status).toBe(201);
    const patched = await api.call('PATCH', `${FIN}/fast`, { as: 'alice', body: { maxRps: 5000 } });
    expect(patched.status).toBe(400);
    expect(patched.body.errors).toStrictEqual([
      { field: 'maxRps', message: 'must be an integer from 1 to 100, or null' },
    ]);
    expect(
      (await api.call('GET', FIN, { as: 'alice' })).body.tokens.map((t: { name: string; maxRps: number }) => [
        t.name,
        t.maxRps,
      ]),
    ).toStrictEqual([['fast', 100]]);
  });
});
