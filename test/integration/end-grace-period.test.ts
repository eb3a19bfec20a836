import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminTokens, domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * Ending a rotation's grace period early (`DELETE …/tokens/{name}/previous-secret`), over
 * HTTP with a clock the test moves: the replaced secret stops at once, the current one
 * keeps working, the end is audited, and it is refused when there is nothing to end and
 * to the replaced secret itself. Its races: test/security/rotation-races.test.ts.
 */
let api: TestService;
let now = Date.parse('2026-12-01T09:00:00.000Z');
const FIN = domainTokens('finance', 'sa-etl');

beforeAll(async () => {
  api = await startTestService({ throttle: false, parts: () => ({ clock: () => new Date(now) }) });
});
afterAll(async () => api?.stop());

async function created(name: string): Promise<string> {
  const reply = await api.call('POST', FIN, { as: 'alice', body: { name } });
  expect(reply.status).toBe(201);
  return reply.body.token;
}
const rotate = async (name: string, body: unknown = {}) =>
  (await api.call('POST', `${FIN}/${name}/rotate`, { as: 'alice', body })).body.token as string;
const end = (name: string, as: { as: string } | { token: string } = { as: 'alice' }) =>
  api.call('DELETE', `${FIN}/${name}/previous-secret`, as);
const whoami = async (token: string) => (await api.call('GET', '/api/v1/auth/whoami', { token })).status;
const events = async (query: string) =>
  (await api.call('GET', `/api/v1/domains/finance/auth/service-accounts/sa-etl/token-events${query}`, { as: 'alice' }))
    .body.events as Record<string, unknown>[];

describe('ending a grace period now', () => {
  it('stops the replaced secret at once and keeps the current one, with an event saying when it would have ended', async () => {
    const old = await created('leaked-old');
    const current = await rotate('leaked-old', { gracePeriodSeconds: 86_400 });
    const validUntil = new Date(now + 86_400_000).toISOString();
    now += 60_000;
    expect(await whoami(old)).toBe(200);
    const reply = await end('leaked-old');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ name: 'leaked-old', status: 'ACTIVE', previousSecret: null });
    expect(reply.body.updatedAt).toBe(new Date(now).toISOString());
    expect(await whoami(old)).toBe(401);
    expect(await whoami(current)).toBe(200);
    const [event, ...more] = await events('?type=token.grace_period_ended&tokenName=leaked-old');
    expect(more).toStrictEqual([]);
    expect(event).toMatchObject({
      type: 'token.grace_period_ended',
      actor: { userId: 'alice', authenticatedBy: 'JWT' },
      changes: { previousSecretValidUntil: { before: validUntil, after: new Date(now).toISOString() } },
    });
    // The replaced secret is now one past its grace period: its use is recorded, as after any.
    expect(await events('?type=token.used_after_rotation&tokenName=leaked-old')).toHaveLength(1);
    // A later rotation is not held up by it.
    now += 1000;
    expect((await api.call('POST', `${FIN}/leaked-old/rotate`, { as: 'alice' })).status).toBe(200);
  });

  it('answers 409 NO_GRACE_PERIOD when no replaced secret still works, and changes nothing', async () => {
    await created('never-rotated');
    await created('lapsed');
    await rotate('lapsed', { gracePeriodSeconds: 60 });
    await created('ended-twice');
    await rotate('ended-twice');
    expect((await end('ended-twice')).status).toBe(200);
    now += 61_000;
    for (const name of ['never-rotated', 'lapsed', 'ended-twice']) {
      const reply = await end(name);
      expect({ name, status: reply.status, code: reply.body.code }).toStrictEqual({
        name,
        status: 409,
        code: 'NO_GRACE_PERIOD',
      });
    }
    expect(await events('?type=token.grace_period_ended&tokenName=ended-twice')).toHaveLength(1);
    const missing = await end('no-such-token');
    expect({ status: missing.status, code: missing.body.code }).toStrictEqual({ status: 404, code: 'TOKEN_NOT_FOUND' });
  });

  it('is refused to the replaced secret itself, and allowed to a token of the account with the permission', async () => {
    const rotator = adminTokens('sa-rotator');
    const old = (await api.call('POST', rotator, { as: 'root', body: { name: 'ends-grace' } })).body.token;
    const current = (await api.call('POST', `${rotator}/ends-grace/rotate`, { as: 'root' })).body.token;
    const path = `${rotator}/ends-grace/previous-secret`;
    const refused = await api.call('DELETE', path, { token: old });
    expect({ status: refused.status, code: refused.body.code }).toStrictEqual({
      status: 403,
      code: 'PREVIOUS_SECRET_READ_ONLY',
    });
    expect(await whoami(old)).toBe(200);
    const ended = await api.call('DELETE', path, { token: current });
    expect(ended.status).toBe(200);
    expect(await whoami(old)).toBe(401);
    expect(await whoami(current)).toBe(200);
    const [event] = (
      await api.call('GET', rotator.replace(/tokens$/, 'token-events?type=token.grace_period_ended'), {
        as: 'root',
      })
    ).body.events;
    expect(event.actor).toMatchObject({
      userId: 'sa-rotator',
      authenticatedBy: 'ACCESS_TOKEN',
      tokenName: 'ends-grace',
    });
  });
});
