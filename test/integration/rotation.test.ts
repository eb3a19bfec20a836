import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { onDynamoDbCommand } from '../security/support/dynamodb-calls.js';
import { adminTokens, domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * Rotation over HTTP with a clock the test moves: the new secret works at once, the old
 * one until `validUntil` and not a moment after; its use is reported, and its use after
 * the grace period is refused and recorded.
 */
let api: TestService;
let now = Date.parse('2026-12-01T09:00:00.000Z');
const FIN = domainTokens('finance', 'sa-etl');
const hours = (n: number) => n * 3_600_000;
const days = (n: number) => n * 86_400_000;

beforeAll(async () => {
  api = await startTestService({ throttle: false, parts: () => ({ clock: () => new Date(now) }) });
});
afterAll(async () => api?.stop());

async function created(name: string, body: Record<string, unknown> = {}): Promise<string> {
  const reply = await api.call('POST', FIN, { as: 'alice', body: { name, ...body } });
  expect(reply.status).toBe(201);
  return reply.body.token;
}

const rotate = (name: string, body?: unknown) =>
  api.call('POST', `${FIN}/${name}/rotate`, { as: 'alice', ...(body === undefined ? {} : { body }) });
const whoami = async (token: string) => (await api.call('GET', '/api/v1/auth/whoami', { token })).status;
const view = async (name: string) =>
  (await api.call('GET', FIN, { as: 'alice' })).body.tokens.find((t: { name: string }) => t.name === name);
const events = async (query = '') =>
  (await api.call('GET', `/api/v1/domains/finance/auth/service-accounts/sa-etl/token-events${query}`, { as: 'alice' }))
    .body.events;

describe('rotation', () => {
  it('gives a new secret, shown once, and keeps the old one working until validUntil, not after', async () => {
    const old = await created('nightly', { maxRps: 5 });
    const reply = await rotate('nightly');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    const fresh: string = reply.body.token;
    expect(fresh).not.toBe(old);
    // Same token: name, limit, creator and prefix (the lookup id) are kept.
    expect(reply.body).toMatchObject({
      name: 'nightly',
      maxRps: 5,
      createdBy: 'alice',
      rotatedBy: 'alice',
      rotatedAt: new Date(now).toISOString(),
    });
    expect(fresh.slice(0, 23)).toBe(old.slice(0, 23));
    expect(reply.body.previousSecret).toStrictEqual({
      validUntil: new Date(now + hours(24)).toISOString(),
      lastUsedAt: null,
    });
    expect(await whoami(fresh)).toBe(200);
    expect(await whoami(old)).toBe(200);
    now += hours(24) - 1;
    expect(await whoami(old)).toBe(200);
    now += 1;
    expect(await whoami(old)).toBe(401);
    expect(await whoami(fresh)).toBe(200);
    expect((await view('nightly')).previousSecret).toBe(null);
  });

  it('reports the old secret’s last use, once a minute at most, so an owner sees when nothing uses it any more', async () => {
    const old = await created('reporting');
    await rotate('reporting', { gracePeriodSeconds: 3600 });
    expect((await view('reporting')).previousSecret.lastUsedAt).toBe(null);
    await whoami(old);
    const first = new Date(now).toISOString();
    expect((await view('reporting')).previousSecret.lastUsedAt).toBe(first);
    now += 30_000;
    await whoami(old);
    expect((await view('reporting')).previousSecret.lastUsedAt).toBe(first);
    now += 31_000;
    await whoami(old);
    expect((await view('reporting')).previousSecret.lastUsedAt).toBe(new Date(now).toISOString());
  });

  it('with gracePeriodSeconds 0, ends the old secret at once', async () => {
    const old = await created('instant');
    const reply = await rotate('instant', { gracePeriodSeconds: 0 });
    expect(reply.body.previousSecret).toBe(null);
    expect(await whoami(old)).toBe(401);
    expect(await whoami(reply.body.token)).toBe(200);
  });

  it('refuses a second rotation during the grace period (409 ROTATION_IN_PROGRESS) unless forced, which ends the older secret', async () => {
    const first = await created('twice');
    const second = (await rotate('twice')).body.token;
    const refused = await rotate('twice');
    expect({ status: refused.status, code: refused.body.code }).toStrictEqual({
      status: 409,
      code: 'ROTATION_IN_PROGRESS',
    });
    expect(refused.body.detail).toMatch(/force/);
    const third = await rotate('twice', { force: true, gracePeriodSeconds: 600 });
    expect(third.status).toBe(200);
    expect(await whoami(first)).toBe(401);
    expect(await whoami(second)).toBe(200);
    expect(await whoami(third.body.token)).toBe(200);
  });

  it('lets exactly one of two concurrent rotations win', async () => {
    await created('raced');
    const replies = await Promise.all([rotate('raced'), rotate('raced')]);
    expect(replies.map((r) => r.status).sort()).toStrictEqual([200, 409]);
    const winner = replies.find((r) => r.status === 200)!.body.token;
    expect(await whoami(winner)).toBe(200);
  });

  it('caps the grace period at the token’s expiry, refuses to rotate an expired token, and keeps a suspended one suspended', async () => {
    const expiresAt = new Date(now + hours(2)).toISOString();
    await created('short', { expiresAt });
    expect((await rotate('short', { gracePeriodSeconds: 86_400 })).body.previousSecret.validUntil).toBe(expiresAt);
    now += hours(3);
    const expired = await rotate('short', { force: true });
    expect({ status: expired.status, code: expired.body.code }).toStrictEqual({ status: 409, code: 'TOKEN_EXPIRED' });

    const old = await created('paused');
    await api.call('PATCH', `${FIN}/paused`, { as: 'alice', body: { status: 'SUSPENDED' } });
    const reply = await rotate('paused');
    expect(reply.body.status).toBe('SUSPENDED');
    expect(await whoami(old)).toBe(401);
    expect(await whoami(reply.body.token)).toBe(401);
  });

  it('refuses bad bodies with the field named, and a token that does not exist', async () => {
    for (const [body, field] of [
      [{ gracePeriodSeconds: 604_801 }, 'gracePeriodSeconds'],
      [{ gracePeriodSeconds: -1 }, 'gracePeriodSeconds'],
      [{ force: 'yes' }, 'force'],
      [{ grace: 5 }, 'grace'],
      [[1], 'body'],
    ] as const) {
      const reply = await rotate('nightly', body);
      expect({ status: reply.status, field: reply.body.errors?.[0]?.field }).toStrictEqual({ status: 400, field });
    }
    expect((await rotate('no-such-token')).body.code).toBe('TOKEN_NOT_FOUND');
  });
});

describe('a replaced secret used after its grace period', () => {
  it('is refused like any bad credential, and recorded with where it came from, once a minute at most', async () => {
    const old = await created('leaky');
    await rotate('leaky', { gracePeriodSeconds: 60 });
    now += 61_000;
    const used = () =>
      api.call('GET', '/api/v1/auth/whoami', { token: old, headers: { 'User-Agent': 'forgotten-cron/1.0' } });
    const refused = await used();
    expect({ status: refused.status, code: refused.body.code }).toStrictEqual({ status: 401, code: 'UNAUTHORIZED' });
    const recorded = async () =>
      (await events('?type=token.used_after_rotation&tokenName=leaky')) as Record<string, unknown>[];
    expect(await recorded()).toMatchObject([
      {
        type: 'token.used_after_rotation',
        tokenName: 'leaky',
        userAgent: 'forgotten-cron/1.0',
        actor: { userId: 'sa-etl', authenticatedBy: 'ACCESS_TOKEN', tokenName: 'leaky' },
      },
    ]);
    expect((await recorded())[0]!.sourceIp).toMatch(/127\.0\.0\.1/);
    await used();
    expect(await recorded()).toHaveLength(1);
    now += 61_000;
    await used();
    expect(await recorded()).toHaveLength(2);
  });
});

describe('every secret a rotation replaced', () => {
  const reused = (name: string) => events(`?type=token.used_after_rotation&tokenName=${name}`);
  const reuses = async (name: string) => ((await reused(name)) as unknown[]).length;

  it('is recognised after later rotations: its use is refused and recorded with when it stopped working', async () => {
    const original = await created('rotated-twice');
    const first = await rotate('rotated-twice', { gracePeriodSeconds: 60 });
    now += 61_000;
    await rotate('rotated-twice', { gracePeriodSeconds: 60 });
    now += 61_000;
    const headers = { 'User-Agent': 'leaked-copy/1.0' };
    const refused = await api.call('GET', '/api/v1/auth/whoami', { token: original, headers });
    expect({ status: refused.status, code: refused.body.code }).toStrictEqual({ status: 401, code: 'UNAUTHORIZED' });
    const retiredAt = first.body.previousSecret.validUntil;
    expect(await reused('rotated-twice')).toMatchObject([{ userAgent: 'leaked-copy/1.0', details: { retiredAt } }]);
    // At most once a minute per token, whichever replaced secret is presented.
    expect(await whoami(first.body.token)).toBe(401);
    expect(await reuses('rotated-twice')).toBe(1);
  });

  it('is recognised for the last ten, for 90 days after each stopped working, and then no more', async () => {
    const secrets = [await created('often')];
    for (let i = 0; i < 11; i++) {
      now += 1000;
      secrets.push((await rotate('often', { gracePeriodSeconds: 0 })).body.token);
    }
    const lastReplacedAt = now;
    // secrets[0..10] were replaced, secrets[11] is current; each use a minute apart (the events' own limit).
    const use = async (token: string) => {
      now += 61_000;
      expect(await whoami(token)).toBe(401);
      return reuses('often');
    };
    expect(await use(secrets[0]!)).toBe(0);
    expect(await use(secrets[1]!)).toBe(1);
    expect(await use(secrets[10]!)).toBe(2);
    now = lastReplacedAt + days(90) - 61_000 - 1;
    expect(await use(secrets[10]!)).toBe(3);
    expect(await use(secrets[10]!)).toBe(3);
    expect(await whoami(secrets[11]!)).toBe(200);
  });

  it('costs a call with the current secret one read, and the credential stays within one read unit', async () => {
    const rotator = adminTokens('sa-rotator');
    await api.call('POST', rotator, { as: 'root', body: { name: 'well-used' } });
    let current = '';
    for (let i = 0; i < 12; i++) {
      now += 1000;
      const body = { gracePeriodSeconds: 0 };
      current = (await api.call('POST', `${rotator}/well-used/rotate`, { as: 'root', body })).body.token;
    }
    const sent: string[] = [];
    onDynamoDbCommand((command) => sent.push(`${command.constructor.name} ${String(command.input?.Key?.pk ?? '')}`));
    // The first call records lastUsedAt (at most once a minute); the second is every other call.
    expect(await whoami(current)).toBe(200);
    sent.length = 0;
    expect(await whoami(current)).toBe(200);
    const credentialCalls = sent.filter((call) => call.includes('CRED#'));
    expect(credentialCalls).toHaveLength(1);
    expect(credentialCalls[0]).toMatch(/^GetCommand CRED#/);
    const key = credentialCalls[0]!.slice('GetCommand '.length);
    const credential = (await api.scanTable()).find((item) => item.pk === key)!;
    expect((credential.retiredSecrets as unknown[]).length).toBe(9);
    // A strongly consistent read of up to 4 KB is one read capacity unit.
    expect(JSON.stringify(credential).length).toBeLessThan(4096);
  });
});

describe('a replaced secret in its grace period', () => {
  it('may read, but not rotate, change or delete a token, nor make a token or a policy', async () => {
    const rotator = adminTokens('sa-rotator');
    const old = (await api.call('POST', rotator, { as: 'root', body: { name: 'handed-over' } })).body.token;
    const current = (await api.call('POST', `${rotator}/handed-over/rotate`, { as: 'root' })).body.token;
    const policies = rotator.replace(/tokens$/, 'federation-policies');
    const events = rotator.replace(/tokens$/, 'token-events');
    const reads = ['/api/v1/auth/whoami', '/api/v1/auth/tokens/self', rotator, events, policies];
    for (const path of reads) {
      expect(`${path}: ${(await api.call('GET', path, { token: old })).status}`).toBe(`${path}: 200`);
    }
    // Uses move lastUsedAt: everything else stays as it was.
    const withoutUse = ({ lastUsedAt: _used, previousSecret, ...token }: Record<string, any>) => {
      return { ...token, validUntil: previousSecret?.validUntil };
    };
    const state = async () => ({
      tokens: (await api.call('GET', rotator, { as: 'root' })).body.tokens.map(withoutUse),
      policies: (await api.call('GET', policies, { as: 'root' })).body.policies,
    });
    const before = await state();
    const attempts: [string, string, unknown][] = [
      ['POST', `${rotator}/handed-over/rotate`, { force: true, gracePeriodSeconds: 604_800 }],
      ['PATCH', `${rotator}/handed-over`, { status: 'SUSPENDED' }],
      ['DELETE', `${rotator}/handed-over`, undefined],
      ['POST', rotator, { name: 'made-with-old' }],
      ['POST', policies, { name: 'planted', issuer: 'https://ci.example.test', subject: 'repo:org/app:**' }],
    ];
    for (const [method, path, body] of attempts) {
      const reply = await api.call(method, path, { token: old, ...(body === undefined ? {} : { body }) });
      const refusal = { method, path, status: 403, code: 'PREVIOUS_SECRET_READ_ONLY' };
      expect({ method, path, status: reply.status, code: reply.body?.code }).toStrictEqual(refusal);
    }
    expect(await state()).toStrictEqual(before);
    expect(await whoami(current)).toBe(200);
    expect(await whoami(old)).toBe(200);
  });
});

describe('token callers', () => {
  it('may not rotate a token with more than they have themselves, and can read their own token', async () => {
    const rotator = adminTokens('sa-rotator');
    const limited = (
      await api.call('POST', rotator, {
        as: 'root',
        body: { name: 'limited', maxRps: 2, expiresAt: new Date(now + hours(48)).toISOString() },
      })
    ).body.token;
    await api.call('POST', rotator, { as: 'root', body: { name: 'unlimited' } });
    const refused = await api.call('POST', `${rotator}/unlimited/rotate`, { token: limited });
    expect({ status: refused.status, code: refused.body.code }).toStrictEqual({
      status: 403,
      code: 'TOKEN_EXCEEDS_CALLER',
    });
    const self = await api.call('GET', '/api/v1/auth/tokens/self', { token: limited });
    expect(self.body).toMatchObject({
      name: 'limited',
      serviceAccountId: 'sa-rotator',
      maxRps: 2,
      status: 'ACTIVE',
      previousSecret: null,
    });
    const whoamiReply = await api.call('GET', '/api/v1/auth/whoami', { token: limited });
    expect(whoamiReply.body.expiresAt).toBe(self.body.expiresAt);
    const byJwt = await api.call('GET', '/api/v1/auth/tokens/self', { as: 'root' });
    expect({ status: byJwt.status, field: byJwt.body.errors?.[0]?.field }).toStrictEqual({
      status: 400,
      field: 'Authorization',
    });
  });
});
