import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminTokens, domainTokens, startTestService, type TestService } from '../support/service.js';

let api: TestService;
beforeAll(async () => {
  api = await startTestService();
});
afterAll(async () => api?.stop());

const FIN = domainTokens('finance', 'sa-etl');

function assertProblem(result: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect(result).toMatchObject({ status: status });
  expect(result.headers.get('content-type')).toBe('application/problem+json');
  expect(result.body.status).toBe(status);
  expect(result.body.code).toBe(code);
  expect(typeof result.body.type).toBe('string');
  expect(typeof result.body.title).toBe('string');
  expect(typeof result.body.detail).toBe('string');
}

describe('health and whoami', () => {
  it('answers /health without credentials', async () => {
    const result = await api.call('GET', '/health');
    expect(result.status).toBe(200);
  });

  // The deployment's defaults: a year's lifetime, the highest Max RPS, a day's grace (a week at most).
  const SETTINGS = {
    maxLifetimeDays: 365,
    maxRps: 3_000,
    defaultGracePeriodSeconds: 86_400,
    maxGracePeriodSeconds: 604_800,
  };

  it('tells a JWT caller who they are and what they may do', async () => {
    const result = await api.call('GET', '/api/v1/auth/whoami', { as: 'alice' });
    expect(result.status).toBe(200);
    expect(result.body).toStrictEqual({
      userId: 'alice',
      type: 'USER',
      authenticatedBy: 'JWT',
      capabilities: { admin: false, domains: ['finance'], manageTokensIn: ['finance'] },
      tokenSettings: SETTINGS,
    });
    // Through a group (carol's analytics holds the finance role), and an admin in no domain.
    expect((await api.call('GET', '/api/v1/auth/whoami', { as: 'carol' })).body.capabilities).toStrictEqual({
      admin: false,
      domains: ['finance'],
      manageTokensIn: ['finance'],
    });
    expect((await api.call('GET', '/api/v1/auth/whoami', { as: 'bob' })).body.capabilities).toStrictEqual({
      admin: false,
      domains: ['finance'],
      manageTokensIn: [],
    });
    expect((await api.call('GET', '/api/v1/auth/whoami', { as: 'root' })).body.capabilities).toStrictEqual({
      admin: true,
      domains: [],
      manageTokensIn: [],
    });
  });

  it('tells a token caller its service account, token name and maxRps', async () => {
    const created = await api.call('POST', FIN, { as: 'alice', body: { name: 'whoami-probe', maxRps: 7 } });
    expect(created.status).toBe(201);
    const result = await api.call('GET', '/api/v1/auth/whoami', { token: created.body.token });
    expect(result.body).toStrictEqual({
      userId: 'sa-etl',
      type: 'SERVICE_ACCOUNT',
      authenticatedBy: 'ACCESS_TOKEN',
      tokenName: 'whoami-probe',
      expiresAt: null,
      maxRps: 7,
      scopes: ['tokens:read', 'tokens:write', 'api'],
      allowedCidrs: null,
      capabilities: { admin: false, domains: ['finance'], manageTokensIn: [] },
      tokenSettings: SETTINGS,
    });
    const bearer = await api.call('GET', '/api/v1/auth/whoami', {
      headers: { Authorization: `Bearer ${created.body.token}` },
    });
    expect(bearer.body.authenticatedBy).toBe('ACCESS_TOKEN');
    await api.call('DELETE', `${FIN}/whoami-probe`, { as: 'alice' });
  });

  it('refuses whoami without credentials with a 401 problem', async () => {
    assertProblem(await api.call('GET', '/api/v1/auth/whoami'), 401, 'UNAUTHORIZED');
  });

  it('answers an unknown route with a 404 problem', async () => {
    assertProblem(await api.call('GET', '/api/v1/nope', { as: 'alice' }), 404, 'NOT_FOUND');
  });
});

describe('token lifecycle on the domain path', () => {
  it('creates a token, shows the secret once, and lists it without the secret', async () => {
    const created = await api.call('POST', FIN, { as: 'alice', body: { name: 'ci-deploy', maxRps: 5 } });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.headers.get('location')).toBe(`${FIN}/ci-deploy`);
    expect(created.headers.get('deprecation')).toBe(null);
    const { token, ...view } = created.body;
    expect(token).toMatch(/^iomsat_[0-9A-Za-z]{65}$/);
    expect(token.startsWith(view.prefix)).toBeTruthy();
    expect(view.name).toBe('ci-deploy');
    expect(view.serviceAccountId).toBe('sa-etl');
    expect(view.status).toBe('ACTIVE');
    expect(view.maxRps).toBe(5);
    expect(view.expiresAt).toBe(null);
    expect(view.createdBy).toBe('alice');
    expect(view.lastUsedAt).toBe(null);
    expect(view.createdAt).toBe(view.updatedAt);

    const list = await api.call('GET', FIN, { as: 'alice' });
    expect(list.status).toBe(200);
    const listed = list.body.tokens.find((t: { name: string }) => t.name === 'ci-deploy');
    expect(listed).toStrictEqual(view);
    expect(list.body.nextToken).toBe(null);
    expect(!list.text.includes(token.slice(23))).toBeTruthy();
  });

  it('suspends a token so it is refused on the next request, and reactivates it', async () => {
    const created = await api.call('POST', FIN, { as: 'alice', body: { name: 'suspend-me' } });
    const token = created.body.token;
    expect((await api.call('GET', '/api/v1/auth/whoami', { token })).status).toBe(200);

    expect(created.body.suspension).toBe(null);
    const suspended = await api.call('PATCH', `${FIN}/suspend-me`, { as: 'alice', body: { status: 'SUSPENDED' } });
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe('SUSPENDED');
    expect(suspended.body.token).toBe(undefined);
    const why = { reason: 'MANUAL', at: suspended.body.updatedAt, by: 'alice', byToken: null, unusedDays: null };
    expect(suspended.body.suspension).toStrictEqual(why);
    assertProblem(await api.call('GET', '/api/v1/auth/whoami', { token }), 401, 'UNAUTHORIZED');
    // Listed with its reason; suspending it again keeps the first.
    const listed = async () =>
      (await api.call('GET', FIN, { as: 'alice' })).body.tokens.find((t: { name: string }) => t.name === 'suspend-me');
    expect((await listed()).suspension).toStrictEqual(why);
    const again = await api.call('PATCH', `${FIN}/suspend-me`, { as: 'alice', body: { status: 'SUSPENDED' } });
    expect(again.body.suspension).toStrictEqual(why);

    const reactivated = await api.call('PATCH', `${FIN}/suspend-me`, { as: 'alice', body: { status: 'ACTIVE' } });
    expect(reactivated.body.status).toBe('ACTIVE');
    expect(reactivated.body.suspension).toBe(null);
    expect((await listed()).suspension).toBe(null);
    expect((await api.call('GET', '/api/v1/auth/whoami', { token })).status).toBe(200);
  });

  it('says which token suspended a token, when one did', async () => {
    // An admin service account's token, managing a token of an account it shares a group with.
    const rotator = await api.call('POST', adminTokens('sa-rotator'), { as: 'root', body: { name: 'suspender' } });
    const target = `${adminTokens('sa-platform')}/suspended-by-token`;
    expect(
      (await api.call('POST', adminTokens('sa-platform'), { as: 'root', body: { name: 'suspended-by-token' } })).status,
    ).toBe(201);
    const reply = await api.call('PATCH', target, { token: rotator.body.token, body: { status: 'SUSPENDED' } });
    expect(reply.status).toBe(200);
    expect(reply.body.suspension).toStrictEqual({
      reason: 'MANUAL',
      at: reply.body.updatedAt,
      by: 'sa-rotator',
      byToken: 'suspender',
      unusedDays: null,
    });
    // sa-platform's list is the admin path test's.
    expect((await api.call('DELETE', target, { as: 'root' })).status).toBe(204);
  });

  it('changes maxRps, sets it to null, and keeps the other fields; says the rate API Gateway enforces', async () => {
    const created = await api.call('POST', FIN, { as: 'alice', body: { name: 'rate-change', maxRps: 3 } });
    expect(created.body).toMatchObject({ maxRps: 3, enforcedMaxRps: 3 });
    const raised = await api.call('PATCH', `${FIN}/rate-change`, { as: 'alice', body: { maxRps: 100 } });
    expect(raised.status).toBe(200);
    expect(raised.body.maxRps).toBe(100);
    // The largest tier at or below 100.
    expect(raised.body.enforcedMaxRps).toBe(93);
    expect(raised.body.status).toBe('ACTIVE');
    expect(raised.body.updatedAt >= raised.body.createdAt).toBeTruthy();
    const cleared = await api.call('PATCH', `${FIN}/rate-change`, {
      as: 'alice',
      body: { maxRps: null, status: 'SUSPENDED' },
    });
    expect(cleared.body.maxRps).toBe(null);
    expect(cleared.body.enforcedMaxRps).toBe(null);
    expect(cleared.body.status).toBe('SUSPENDED');
  });

  it('deletes a token so it is refused on the next request and gone from the list', async () => {
    const created = await api.call('POST', FIN, { as: 'alice', body: { name: 'delete-me' } });
    const deleted = await api.call('DELETE', `${FIN}/delete-me`, { as: 'alice' });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    assertProblem(await api.call('GET', '/api/v1/auth/whoami', { token: created.body.token }), 401, 'UNAUTHORIZED');
    const list = await api.call('GET', FIN, { as: 'alice' });
    expect(!list.body.tokens.some((t: { name: string }) => t.name === 'delete-me')).toBeTruthy();
    assertProblem(await api.call('DELETE', `${FIN}/delete-me`, { as: 'alice' }), 404, 'TOKEN_NOT_FOUND');
  });

  it('frees a deleted name for reuse, with a new secret', async () => {
    const first = await api.call('POST', FIN, { as: 'alice', body: { name: 'reused' } });
    await api.call('DELETE', `${FIN}/reused`, { as: 'alice' });
    const second = await api.call('POST', FIN, { as: 'alice', body: { name: 'reused' } });
    expect(second.status).toBe(201);
    expect(second.body.token).not.toBe(first.body.token);
    assertProblem(await api.call('GET', '/api/v1/auth/whoami', { token: first.body.token }), 401, 'UNAUTHORIZED');
    expect((await api.call('GET', '/api/v1/auth/whoami', { token: second.body.token })).status).toBe(200);
  });

  it('refuses a duplicate name with 409 TOKEN_NAME_TAKEN', async () => {
    await api.call('POST', FIN, { as: 'alice', body: { name: 'dup' } });
    assertProblem(await api.call('POST', FIN, { as: 'alice', body: { name: 'dup' } }), 409, 'TOKEN_NAME_TAKEN');
  });

  it('answers 404 TOKEN_NOT_FOUND for updates of unknown names', async () => {
    assertProblem(
      await api.call('PATCH', `${FIN}/no-such-token`, { as: 'alice', body: { status: 'SUSPENDED' } }),
      404,
      'TOKEN_NOT_FOUND',
    );
  });

  it('records lastUsedAt when a token is used', async () => {
    const created = await api.call('POST', FIN, { as: 'alice', body: { name: 'used' } });
    await api.call('GET', '/api/v1/auth/whoami', { token: created.body.token });
    const list = await api.call('GET', FIN, { as: 'alice' });
    const used = list.body.tokens.find((t: { name: string }) => t.name === 'used');
    // 'lastUsedAt is set'
    expect(used.lastUsedAt).toBeTruthy();
    expect(Date.parse(used.lastUsedAt) >= Date.parse(used.createdAt)).toBeTruthy();
  });
});

describe('the admin path and the deprecated creates', () => {
  it('manages tokens through the admin path with the same interface', async () => {
    const base = adminTokens('sa-platform');
    const created = await api.call('POST', base, { as: 'root', body: { name: 'nightly' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${base}/nightly`);
    expect((await api.call('GET', base, { as: 'root' })).body.tokens.length).toBe(1);
    expect((await api.call('PATCH', `${base}/nightly`, { as: 'root', body: { maxRps: 2 } })).body.maxRps).toBe(2);
    expect((await api.call('DELETE', `${base}/nightly`, { as: 'root' })).status).toBe(204);
  });

  it('serves the deprecated domain create with Deprecation and successor Link headers', async () => {
    const result = await api.call('POST', '/api/v1/domains/finance/auth/service-accounts/tokens', {
      as: 'alice',
      body: { serviceAccountId: 'sa-etl', name: 'legacy-domain' },
    });
    expect(result.status).toBe(201);
    expect(result.headers.get('deprecation') ?? '').toMatch(/^@\d+$/);
    expect(result.headers.get('link')).toBe(`<${FIN}>; rel="successor-version"`);
    expect(result.body.serviceAccountId).toBe('sa-etl');
    expect(result.body.token).toMatch(/^iomsat_/);
  });

  it('serves the deprecated admin create with the same checks', async () => {
    const path = '/api/v1/auth/service-accounts/tokens';
    const result = await api.call('POST', path, {
      as: 'root',
      body: { serviceAccountId: 'sa-platform', name: 'legacy-admin' },
    });
    expect(result.status).toBe(201);
    expect(result.headers.get('link')).toBe(`<${adminTokens('sa-platform')}>; rel="successor-version"`);
    assertProblem(
      await api.call('POST', path, { as: 'alice', body: { serviceAccountId: 'sa-platform', name: 'x' } }),
      403,
      'FORBIDDEN',
    );
    assertProblem(
      await api.call('POST', path, { as: 'root', body: { serviceAccountId: 'ghost', name: 'x' } }),
      404,
      'SERVICE_ACCOUNT_NOT_FOUND',
    );
    assertProblem(
      await api.call('POST', path, { as: 'root', body: { serviceAccountId: 'sa-reporting', name: 'x' } }),
      403,
      'NOT_SAME_GROUP',
    );
    const missing = await api.call('POST', path, { as: 'root', body: { name: 'x' } });
    assertProblem(missing, 400, 'VALIDATION_FAILED');
    expect(missing.body.errors.map((e: { field: string }) => e.field)).toStrictEqual(['serviceAccountId']);
  });
});

describe('validation', () => {
  it('lists every offending field of a create body', async () => {
    const result = await api.call('POST', FIN, {
      as: 'alice',
      body: { name: 'bad name!', maxRps: 0, expiresAt: 'tomorrow', extra: true },
    });
    assertProblem(result, 400, 'VALIDATION_FAILED');
    const fields = result.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toStrictEqual(['expiresAt', 'extra', 'maxRps', 'name']);
    for (const error of result.body.errors) expect(typeof error.message).toBe('string');
  });

  it('requires a name, and refuses names over 64 characters', async () => {
    const missing = await api.call('POST', FIN, { as: 'alice', body: {} });
    expect(missing.body.errors.map((e: { field: string }) => e.field)).toStrictEqual(['name']);
    assertProblem(
      await api.call('POST', FIN, { as: 'alice', body: { name: 'a'.repeat(65) } }),
      400,
      'VALIDATION_FAILED',
    );
    expect((await api.call('POST', FIN, { as: 'alice', body: { name: `A.b_c-${'9'.repeat(58)}` } })).status).toBe(201);
  });

  // One token's calls read one item: DynamoDB serves it at most 3,000 reads a second.
  it('accepts maxRps from 1 to 3000 and refuses fractions, strings and out-of-range values', async () => {
    for (const [i, maxRps] of [1, 3_000, null].entries()) {
      expect((await api.call('POST', FIN, { as: 'alice', body: { name: `rps-ok-${i}`, maxRps } })).status).toBe(201);
    }
    for (const maxRps of [0, 3_001, 10_000, 1.5, '5', -1, true]) {
      assertProblem(
        await api.call('POST', FIN, { as: 'alice', body: { name: 'rps-bad', maxRps } }),
        400,
        'VALIDATION_FAILED',
      );
    }
  });

  it('accepts a future expiresAt within the lifetime and refuses past or too distant ones', async () => {
    const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const ok = await api.call('POST', FIN, { as: 'alice', body: { name: 'expiring', expiresAt: inAWeek } });
    expect(ok.status).toBe(201);
    expect(ok.body.expiresAt).toBe(inAWeek);
    const past = await api.call('POST', FIN, {
      as: 'alice',
      body: { name: 'past', expiresAt: '2020-01-01T00:00:00Z' },
    });
    assertProblem(past, 400, 'VALIDATION_FAILED');
    expect(past.body.errors[0].field).toBe('expiresAt');
    const far = new Date(Date.now() + 400 * 86_400_000).toISOString();
    assertProblem(
      await api.call('POST', FIN, { as: 'alice', body: { name: 'far', expiresAt: far } }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('refuses an empty PATCH, unknown PATCH fields and a status other than ACTIVE or SUSPENDED', async () => {
    await api.call('POST', FIN, { as: 'alice', body: { name: 'patch-target' } });
    for (const body of [{}, { name: 'renamed' }, { status: 'EXPIRED' }, { status: 'active' }]) {
      assertProblem(await api.call('PATCH', `${FIN}/patch-target`, { as: 'alice', body }), 400, 'VALIDATION_FAILED');
    }
    assertProblem(await api.call('PATCH', `${FIN}/patch-target`, { as: 'alice' }), 400, 'VALIDATION_FAILED');
  });

  it('refuses malformed JSON, non-object bodies and form bodies', async () => {
    const malformed = await api.call('POST', FIN, {
      as: 'alice',
      rawBody: '{"name":',
      headers: { 'Content-Type': 'application/json' },
    });
    assertProblem(malformed, 400, 'VALIDATION_FAILED');
    expect(malformed.body.errors).toStrictEqual([{ field: 'body', message: 'is not valid JSON' }]);
    assertProblem(await api.call('POST', FIN, { as: 'alice', body: ['name'] }), 400, 'VALIDATION_FAILED');
    const form = await api.call('POST', FIN, {
      as: 'alice',
      rawBody: 'name=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assertProblem(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses bad list parameters and invalid path names', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'nextToken=not-a-cursor']) {
      const result = await api.call('GET', `${FIN}?${query}`, { as: 'alice' });
      assertProblem(result, 400, 'VALIDATION_FAILED');
    }
    assertProblem(await api.call('DELETE', `${FIN}/${'x'.repeat(65)}`, { as: 'alice' }), 400, 'VALIDATION_FAILED');
  });

  it('writes nothing when it refuses a request', async () => {
    const before = await api.scanTable();
    await api.call('POST', FIN, { as: 'alice', body: { name: 'bad name!' } });
    await api.call('POST', FIN, { as: 'bob', body: { name: 'forbidden' } });
    await api.call('PATCH', `${FIN}/nope`, { as: 'alice', body: { status: 'SUSPENDED' } });
    await api.call('POST', domainTokens('finance', 'sa-reporting'), { as: 'alice', body: { name: 'other-group' } });
    expect(await api.scanTable()).toStrictEqual(before);
  });
});

describe('pagination and the per-account limit', () => {
  it('pages through tokens in name order with an opaque cursor', async () => {
    const base = domainTokens('marketing', 'sa-campaigns');
    const names = Array.from({ length: 7 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
    for (const name of names) expect((await api.call('POST', base, { as: 'dave', body: { name } })).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&nextToken=${encodeURIComponent(cursor)}` : '?limit=3';
      const page = await api.call('GET', `${base}${query}`, { as: 'dave' });
      expect(page.status).toBe(200);
      expect(page.body.tokens.length <= 3).toBeTruthy();
      seen.push(...page.body.tokens.map((t: { name: string }) => t.name));
      cursor = page.body.nextToken;
      pages++;
    } while (cursor);
    expect(seen).toStrictEqual(names);
    expect(pages).toBe(3);
  });

  it('refuses the 51st token with 409 TOKEN_LIMIT_REACHED, and accepts one again after a delete', async () => {
    const base = adminTokens('sa-platform');
    const existing = (await api.call('GET', `${base}?limit=100`, { as: 'root' })).body.tokens.length;
    for (let i = existing; i < 50; i++) {
      expect((await api.call('POST', base, { as: 'root', body: { name: `bulk-${i}` } })).status).toBe(201);
    }
    assertProblem(
      await api.call('POST', base, { as: 'root', body: { name: 'one-too-many' } }),
      409,
      'TOKEN_LIMIT_REACHED',
    );
    const list = await api.call('GET', `${base}?limit=100`, { as: 'root' });
    expect(list.body.tokens.length).toBe(50);
    await api.call('DELETE', `${base}/${list.body.tokens[0].name}`, { as: 'root' });
    expect((await api.call('POST', base, { as: 'root', body: { name: 'one-too-many' } })).status).toBe(201);
  });
});
