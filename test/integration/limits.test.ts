import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * A deployment's stage may allow fewer requests a second than 10,000: no token may be given
 * more; and its tokens may live less than a year. whoami says both.
 */
let api: TestService;
const FIN = domainTokens('finance', 'sa-etl');

beforeAll(async () => {
  api = await startTestService({ env: { MAX_RPS: '100', TOKEN_MAX_LIFETIME_DAYS: '30' } });
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

describe('the deployment’s token settings', () => {
  it('are told by whoami, so a client offers only what this deployment accepts', async () => {
    expect((await api.call('GET', '/api/v1/auth/whoami', { as: 'alice' })).body.tokenSettings).toStrictEqual({
      maxLifetimeDays: 30,
      maxRps: 100,
      defaultGracePeriodSeconds: 86_400,
      maxGracePeriodSeconds: 604_800,
    });
    const day = 86_400_000;
    const at = (days: number) => new Date(Date.now() + days * day).toISOString();
    expect((await api.call('POST', FIN, { as: 'alice', body: { name: 'month', expiresAt: at(29.9) } })).status).toBe(
      201,
    );
    const over = await api.call('POST', FIN, { as: 'alice', body: { name: 'too-long', expiresAt: at(31) } });
    expect({ status: over.status, field: over.body.errors?.[0]?.field }).toStrictEqual({
      status: 400,
      field: 'expiresAt',
    });
  });
});
