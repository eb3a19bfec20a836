import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminTokens, startTestService, type TestService } from '../support/service.js';

/**
 * A caller authenticated by an access token never creates or changes a token to more than
 * it has itself: maxRps at most its own (no limit only if it has none), expiresAt no
 * later than its own (never only if it never expires). sa-rotator, an admin service
 * account, may manage its own tokens; root, a person, is unaffected.
 */
let api: TestService;
const ROTATOR = adminTokens('sa-rotator');
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
let limited: string;
let expiresAt: string;

beforeAll(async () => {
  // The calling token is limited to 2 requests a second; this file is about what it may do, not how fast.
  api = await startTestService({ throttle: false });
  expiresAt = inDays(30);
  const created = await api.call('POST', ROTATOR, { as: 'root', body: { name: 'limited', maxRps: 2, expiresAt } });
  expect(created.status).toBe(201);
  limited = created.body.token;
});
afterAll(async () => api?.stop());

const asLimited = (method: string, path: string, body?: unknown) =>
  api.call(method, path, { token: limited, ...(body === undefined ? {} : { body }) });

async function refusedUnchanged(method: string, path: string, body: unknown, detail: RegExp): Promise<void> {
  const listed = async () =>
    (await api.call('GET', ROTATOR, { as: 'root' })).body.tokens.map(
      ({ lastUsedAt: _used, ...token }: Record<string, unknown>) => token,
    );
  const before = await listed();
  const reply = await asLimited(method, path, body);
  expect({ status: reply.status, code: reply.body?.code }).toStrictEqual({ status: 403, code: 'TOKEN_EXCEEDS_CALLER' });
  expect(reply.body.detail).toMatch(detail);
  expect(await listed()).toStrictEqual(before);
}

describe('no escalation through tokens', () => {
  it('refuses to lift its own maxRps, to none or to more', async () => {
    await refusedUnchanged('PATCH', `${ROTATOR}/limited`, { maxRps: null }, /maxRps must be at most 2/);
    await refusedUnchanged('PATCH', `${ROTATOR}/limited`, { maxRps: 3 }, /maxRps must be at most 2/);
    await refusedUnchanged(
      'PATCH',
      `${ROTATOR}/limited`,
      { status: 'ACTIVE', maxRps: 3_000 },
      /maxRps must be at most 2/,
    );
  });

  it('refuses to mint a token without a limit, with a higher one, never expiring, or expiring later', async () => {
    await refusedUnchanged('POST', ROTATOR, { name: 'unlimited' }, /maxRps must be at most 2, .*not null/);
    await refusedUnchanged(
      'POST',
      ROTATOR,
      { name: 'faster', maxRps: 5, expiresAt: inDays(1) },
      /maxRps must be at most 2/,
    );
    await refusedUnchanged('POST', ROTATOR, { name: 'forever', maxRps: 2 }, /expiresAt must be no later than/);
    await refusedUnchanged(
      'POST',
      ROTATOR,
      { name: 'later', maxRps: 2, expiresAt: inDays(60) },
      /expiresAt must be no later than/,
    );
    await refusedUnchanged(
      'POST',
      '/api/v1/auth/service-accounts/tokens',
      { name: 'old-way', serviceAccountId: 'sa-rotator' },
      /maxRps must be at most 2/,
    );
  });

  it('allows what stays within its own limits: equal or lower, sooner or the same expiry', async () => {
    expect((await asLimited('POST', ROTATOR, { name: 'same', maxRps: 2, expiresAt })).status).toBe(201);
    expect((await asLimited('POST', ROTATOR, { name: 'smaller', maxRps: 1, expiresAt: inDays(1) })).status).toBe(201);
    expect((await asLimited('PATCH', `${ROTATOR}/smaller`, { maxRps: 2 })).status).toBe(200);
    expect((await asLimited('PATCH', `${ROTATOR}/same`, { status: 'SUSPENDED' })).status).toBe(200);
  });

  const asRoot = async (method: string, path: string, body: unknown) => {
    return (await api.call(method, path, { as: 'root', body })).status;
  };
  const suspended = async (name: string, body: Record<string, unknown>) => {
    expect(await asRoot('POST', ROTATOR, { name, ...body })).toBe(201);
    expect(await asRoot('PATCH', `${ROTATOR}/${name}`, { status: 'SUSPENDED' })).toBe(200);
  };
  const activate = { status: 'ACTIVE' };

  it('refuses to reactivate a suspended token worth more than itself, and changes nothing', async () => {
    await suspended('unlimited-sibling', {});
    const unlimited = `${ROTATOR}/unlimited-sibling`;
    const refusal = (why: string) => new RegExp(`^A token may not reactivate a token worth more than itself: ${why}`);
    const unlimitedRate = refusal("its maxRps would be null \\(no limit\\), more than the calling token's 2");
    await refusedUnchanged('PATCH', unlimited, activate, unlimitedRate);
    // Within its limit but never expiring, or expiring after it: a lower limit in the same request does not help.
    const never = refusal('it never expires, later than the calling token');
    await refusedUnchanged('PATCH', unlimited, { ...activate, maxRps: 1 }, never);
    await suspended('later-sibling', { maxRps: 1, expiresAt: inDays(60) });
    const later = refusal('it expires at .*, later than the calling token');
    await refusedUnchanged('PATCH', `${ROTATOR}/later-sibling`, activate, later);
  });

  it('reactivates a token worth no more than itself', async () => {
    await suspended('modest', { maxRps: 2, expiresAt: inDays(1) });
    const reply = await asLimited('PATCH', `${ROTATOR}/modest`, activate);
    expect({ status: reply.status, token: reply.body.status }).toStrictEqual({ status: 200, token: 'ACTIVE' });
  });

  it('refuses to raise the limit of a token that outlives it, and lets it lower one', async () => {
    expect(await asRoot('POST', ROTATOR, { name: 'outliving', maxRps: 1 })).toBe(201);
    const raised = /^A token may not raise the limit of a token worth more than itself: it never expires/;
    await refusedUnchanged('PATCH', `${ROTATOR}/outliving`, { maxRps: 2 }, raised);
    expect((await api.call('PATCH', `${ROTATOR}/outliving`, { as: 'root', body: { maxRps: 2 } })).status).toBe(200);
    expect((await asLimited('PATCH', `${ROTATOR}/outliving`, { maxRps: 1 })).status).toBe(200);
  });

  it('binds a token without limits to none, and people not at all', async () => {
    const free = (await api.call('POST', ROTATOR, { as: 'root', body: { name: 'free' } })).body.token;
    expect((await api.call('POST', ROTATOR, { token: free, body: { name: 'made-by-free' } })).status).toBe(201);
    expect((await api.call('PATCH', `${ROTATOR}/limited`, { as: 'root', body: { maxRps: null } })).status).toBe(200);
  });
});
