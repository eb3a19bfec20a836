import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminTokens, domainTokens, exampleDirectory, startTestService, type TestService } from '../support/service.js';

/**
 * The no-escalation rule, for scopes and networks: a token caller never makes or changes a
 * token to more than it has itself (no scope it lacks, no network outside its own, none
 * only if it may call from anywhere), and where the deployment or a domain requires
 * networks, no new token goes without.
 */
let api: TestService;
const ROTATOR = adminTokens('sa-rotator');
/** The calling token: it may manage tokens (no api), and only from loopback. */
let narrow: string;

beforeAll(async () => {
  api = await startTestService({ throttle: false });
  const created = await api.call('POST', ROTATOR, {
    as: 'root',
    body: { name: 'narrow', scopes: ['tokens:read', 'tokens:write'], allowedCidrs: ['127.0.0.0/8'] },
  });
  expect(created.status).toBe(201);
  narrow = created.body.token;
});
afterAll(async () => api?.stop());

const asNarrow = (method: string, path: string, body?: unknown) =>
  api.call(method, path, { token: narrow, ...(body === undefined ? {} : { body }) });

async function refused(method: string, path: string, body: unknown, detail: RegExp): Promise<void> {
  const listed = async () =>
    (await api.call('GET', ROTATOR, { as: 'root' })).body.tokens.map(
      ({ lastUsedAt: _used, ...token }: Record<string, unknown>) => token,
    );
  const before = await listed();
  const reply = await asNarrow(method, path, body);
  expect({ status: reply.status, code: reply.body?.code }).toStrictEqual({ status: 403, code: 'TOKEN_EXCEEDS_CALLER' });
  expect(reply.body.detail).toMatch(detail);
  expect(await listed()).toStrictEqual(before);
}

const NETWORKS = { allowedCidrs: ['127.0.0.1/32'] };

describe('no escalation through scopes and networks', () => {
  it('refuses to mint a token with a scope it lacks: every scope, by default, included', async () => {
    await refused('POST', ROTATOR, { name: 'wide', ...NETWORKS }, /scope api is not one of the calling token's own/);
    await refused('POST', ROTATOR, { name: 'wide', scopes: ['api'], ...NETWORKS }, /scope api/);
    await refused(
      'POST',
      '/api/v1/auth/service-accounts/tokens',
      { name: 'old-way', serviceAccountId: 'sa-rotator', scopes: ['api'], ...NETWORKS },
      /scope api/,
    );
  });

  it('refuses to mint a token from anywhere, or from a network outside its own', async () => {
    const scopes = ['tokens:read'];
    await refused('POST', ROTATOR, { name: 'anywhere', scopes }, /allowedCidrs must be set, within .*127\.0\.0\.0\/8/);
    await refused(
      'POST',
      ROTATOR,
      { name: 'outside', scopes, allowedCidrs: ['127.0.0.1/32', '10.0.0.0/8'] },
      /allowedCidrs 10\.0\.0\.0\/8 is not within the calling token's own \(127\.0\.0\.0\/8\)/,
    );
    await refused('POST', ROTATOR, { name: 'wider', scopes, allowedCidrs: ['126.0.0.0/7'] }, /126\.0\.0\.0\/7/);
    await refused('POST', ROTATOR, { name: 'v6', scopes, allowedCidrs: ['::1/128'] }, /::1\/128/);
  });

  it('makes a token within its own: fewer scopes, networks inside its own', async () => {
    const made = await asNarrow('POST', ROTATOR, { name: 'within', scopes: ['tokens:read'], ...NETWORKS });
    expect(made.body).toMatchObject({ scopes: ['tokens:read'], allowedCidrs: ['127.0.0.1/32'] });
    // And narrows it further, or lifts it back up to its own.
    expect((await asNarrow('PATCH', `${ROTATOR}/within`, { scopes: ['tokens:read', 'tokens:write'] })).status).toBe(
      200,
    );
  });

  it('refuses to widen a token beyond its own, or take its restriction off', async () => {
    const within = `${ROTATOR}/within`;
    await refused('PATCH', within, { scopes: ['tokens:read', 'api'] }, /scope api/);
    await refused('PATCH', within, { allowedCidrs: null }, /allowedCidrs must be set/);
    await refused('PATCH', within, { allowedCidrs: ['0.0.0.0/0'] }, /0\.0\.0\.0\/0 is not within/);
    // A sibling with more than the caller may be narrowed to within the caller, not widened in what it has more of.
    expect(
      (await api.call('POST', ROTATOR, { as: 'root', body: { name: 'wide-sibling', scopes: ['tokens:read'] } })).status,
    ).toBe(201);
    await refused(
      'PATCH',
      `${ROTATOR}/wide-sibling`,
      { scopes: ['tokens:read', 'tokens:write'] },
      /^A token may not widen the restrictions of a token worth more than itself: scope api|allowedCidrs must be set/,
    );
  });

  it('refuses to rotate or reactivate a token with more than it has', async () => {
    expect((await api.call('POST', ROTATOR, { as: 'root', body: { name: 'everything' } })).status).toBe(201);
    await refused('POST', `${ROTATOR}/everything/rotate`, undefined, /scope api/);
    expect(
      (await api.call('PATCH', `${ROTATOR}/everything`, { as: 'root', body: { status: 'SUSPENDED' } })).status,
    ).toBe(200);
    await refused('PATCH', `${ROTATOR}/everything`, { status: 'ACTIVE' }, /^A token may not reactivate .*scope api/);
  });
});

describe('networks required by the deployment or a domain', () => {
  let strict: TestService;
  beforeAll(async () => {
    const directory = exampleDirectory();
    directory.domains = directory.domains.map((domain) =>
      domain.id === 'marketing' ? { ...domain, requireAllowedCidrs: true } : domain,
    );
    strict = await startTestService({ throttle: false, directory });
  });
  afterAll(async () => strict?.stop());

  it("refuses a new token of a flagged domain's account without networks (400), and allows one with", async () => {
    const path = domainTokens('marketing', 'sa-campaigns');
    const refusal = await strict.call('POST', path, { as: 'dave', body: { name: 'open' } });
    expect({ status: refusal.status, errors: refusal.body.errors }).toStrictEqual({
      status: 400,
      errors: [
        {
          field: 'allowedCidrs',
          message:
            'is required: a domain of this service account requires every new token to be restricted to networks ' +
            '(1 to 20 CIDRs)',
        },
      ],
    });
    expect((await strict.call('POST', path, { as: 'dave', body: { name: 'closed', ...NETWORKS } })).status).toBe(201);
    const removal = await strict.call('PATCH', `${path}/closed`, { as: 'dave', body: { allowedCidrs: null } });
    expect({ status: removal.status, field: removal.body.errors?.[0]?.field }).toStrictEqual({
      status: 400,
      field: 'allowedCidrs',
    });
    // Other domains' accounts are not bound.
    expect(
      (await strict.call('POST', domainTokens('finance', 'sa-etl'), { as: 'alice', body: { name: 'open' } })).status,
    ).toBe(201);
  });

  it('binds every account when the deployment requires networks', async () => {
    const everywhere = await startTestService({ throttle: false, env: { REQUIRE_ALLOWED_CIDRS: 'true' } });
    try {
      const path = domainTokens('finance', 'sa-etl');
      const refusal = await everywhere.call('POST', path, { as: 'alice', body: { name: 'open' } });
      expect(refusal.body.errors?.[0]?.message).toMatch(/^is required: this deployment requires/);
      expect((await everywhere.call('POST', path, { as: 'alice', body: { name: 'closed', ...NETWORKS } })).status).toBe(
        201,
      );
    } finally {
      await everywhere.stop();
    }
  });
});
