import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { importJWK, SignJWT } from 'jose';
import { runLifecycle } from '../../shared/lifecycle/job.js';
import { type CiIssuer, GITHUB_CLAIMS, startCiIssuer } from '../support/ci-issuer.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * Workload identity federation over HTTP, against a real OpenID provider run by the test:
 * a CI job's OIDC token exchanged for an access token of the service account, every
 * refusal, the policies, their limit, the shared maxRps, expiry and the policy test.
 */
let api: TestService;
let ci: CiIssuer;
let other: CiIssuer;
const AUDIENCE = 'https://tokens.example.test';
const ACCOUNT = 'sa-etl';
const POLICIES = `/api/v1/domains/finance/auth/service-accounts/${ACCOUNT}/federation-policies`;
const ADMIN_POLICIES = `/api/v1/auth/service-accounts/${ACCOUNT}/federation-policies`;
const TOKENS = `/api/v1/domains/finance/auth/service-accounts/${ACCOUNT}/tokens`;
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const UNVERIFIED =
  "the subject token's signature does not verify with the keys of an issuer this service account trusts";
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
let deployId = '';

beforeAll(async () => {
  [ci, other] = await Promise.all([startCiIssuer(), startCiIssuer()]);
  // The CI issuers of this file run on this machine, as under `npm start`.
  api = await startTestService({ env: { POWERTOOLS_LOG_LEVEL: 'ERROR', FEDERATION_ALLOW_LOOPBACK_ISSUERS: 'true' } });
  const deploy = await api.call('POST', POLICIES, {
    as: 'alice',
    body: {
      name: 'deploy-prod',
      issuer: ci.issuer,
      audiences: [AUDIENCE],
      subject: 'repo:org/*:environment:prod',
      claims: { repository_owner_id: ['65'], ref: ['refs/heads/main', 'refs/tags/v*'] },
      maxTtlSeconds: 600,
      maxRps: 2,
    },
  });
  expect(deploy.status).toBe(201);
  deployId = deploy.body.policyId;
});

afterAll(async () => {
  await api?.stop();
  await Promise.all([ci?.close(), other?.close()]);
});

function exchange(subjectToken: string, extra: Record<string, string> = {}, account = ACCOUNT) {
  const form = new URLSearchParams({
    grant_type: GRANT,
    subject_token: subjectToken,
    subject_token_type: JWT_TYPE,
    service_account_id: account,
    ...extra,
  });
  return api.call('POST', '/api/v1/auth/token', {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    rawBody: form.toString(),
  });
}

const githubToken = (claims: Record<string, string | number> = {}, options?: Parameters<CiIssuer['issue']>[2]) =>
  ci.issue(AUDIENCE, { ...GITHUB_CLAIMS, ...claims }, options);

/** A token the issuer itself signed, with claims no CI provider would give (an expired one). */
async function signedByIssuer(claims: Record<string, unknown>): Promise<string> {
  const key = await importJWK({ ...ci.keys.rs256 } as Parameters<typeof importJWK>[0], 'RS256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    ...GITHUB_CLAIMS,
    iss: ci.issuer,
    aud: AUDIENCE,
    iat: now,
    exp: now + 300,
    jti: `signed-${Math.random()}`,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: ci.keys.rs256.kid! })
    .sign(key);
}

async function refusal(subjectToken: Promise<string> | string, extra: Record<string, string> = {}) {
  const reply = await exchange(await subjectToken, extra);
  expect(reply.headers.get('cache-control')).toBe('no-store');
  return {
    status: reply.status,
    error: reply.body?.error as string,
    description: reply.body?.error_description as string,
  };
}

describe('the token exchange', () => {
  it('trades a GitHub-Actions-shaped OIDC token for an access token of the service account', async () => {
    const reply = await exchange(await githubToken());
    expect(reply.status).toBe(200);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(reply.body).toMatchObject({
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
    });
    // The least of the policy's maximum (600 s) and the subject token's remaining life (300 s).
    expect(reply.body.expires_in).toBeGreaterThan(290);
    expect(reply.body.expires_in).toBeLessThanOrEqual(300);
    const token: string = reply.body.access_token;
    expect(token).toMatch(/^iomsat_[0-9A-Za-z]{65}$/);
    const me = await api.call('GET', '/api/v1/auth/whoami', { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ userId: ACCOUNT, authenticatedBy: 'ACCESS_TOKEN', maxRps: 2 });
    expect(me.body.tokenName).toMatch(/^deploy-prod\.\d{14}-[0-9a-f]{6}$/);
    // Listed among the account's tokens, as FEDERATED, with its policy and expiry.
    const listed = (await api.call('GET', TOKENS, { as: 'alice' })).body.tokens.find(
      (t: { name: string }) => t.name === me.body.tokenName,
    );
    expect(listed).toMatchObject({
      kind: 'FEDERATED',
      policyName: 'deploy-prod',
      status: 'ACTIVE',
      maxRps: 2,
      createdBy: GITHUB_CLAIMS.sub,
    });
    expect(Date.parse(listed.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
  });

  it('issues no longer than asked, and ES256-signed tokens are accepted too', async () => {
    const reply = await exchange(await githubToken({}, { alg: 'ES256' }), { requested_ttl: '120' });
    expect(reply.status).toBe(200);
    expect(reply.body.expires_in).toBe(120);
  });

  it('does not count issued tokens in the account’s token limit', async () => {
    const before =
      (await api.scanTable()).find((item) => item.pk === `SA#${ACCOUNT}` && item.sk === 'COUNTER')?.tokenCount ?? 0;
    expect((await exchange(await githubToken())).status).toBe(200);
    const after =
      (await api.scanTable()).find((item) => item.pk === `SA#${ACCOUNT}` && item.sk === 'COUNTER')?.tokenCount ?? 0;
    expect(after).toBe(before);
  });

  it('refuses a replayed subject token: its jti is used once', async () => {
    const jwt = await githubToken();
    expect((await exchange(jwt)).status).toBe(200);
    const again = await refusal(jwt);
    expect(again).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(again.description).toMatch(/already exchanged/);
  });

  it('refuses every token a policy does not accept, naming the failed check and the closest policy, not its patterns', async () => {
    // Each of these is signed by the issuer: its claims are the issuer's, so the answer may say which check failed.
    const cases: [string, Promise<string>, RegExp][] = [
      [
        'audience',
        ci.issue('https://elsewhere.example.test', { ...GITHUB_CLAIMS }),
        /audience 'https:\/\/elsewhere.example.test' is not accepted by policy 'deploy-prod'/,
      ],
      [
        'subject',
        githubToken({ sub: 'repo:org/app:environment:dev' }),
        /subject 'repo:org\/app:environment:dev' does not match policy 'deploy-prod'/,
      ],
      [
        'claim',
        githubToken({ repository_owner_id: '66' }),
        /claim 'repository_owner_id' is '66', which policy 'deploy-prod' does not accept/,
      ],
      ['missing claim', githubToken({ ref: '' }), /claim 'ref' is '', which policy 'deploy-prod'/],
      [
        'expired',
        signedByIssuer({ iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 120 }),
        /expired/,
      ],
      ['no jti', signedByIssuer({ jti: undefined }), /claim 'jti' is missing/],
      [
        'too old',
        signedByIssuer({ iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) + 60 }),
        /issued 7\d{3} s ago, too long ago/,
      ],
    ];
    for (const [name, jwt, description] of cases) {
      const reply = await refusal(jwt);
      expect({ name, ...reply }).toMatchObject({ name, status: 400, error: 'invalid_grant' });
      expect({ name, description: reply.description }).toMatchObject({
        name,
        description: expect.stringMatching(description),
      });
      // Every invalid_grant names the closest policy…
      expect({ name, description: reply.description }).toMatchObject({
        name,
        description: expect.stringContaining("'deploy-prod'"),
      });
      // …but its patterns are for its administrators (the policy test), not for a presenter.
      expect(reply.description).not.toContain('refs/tags/v*');
      expect(reply.description).not.toContain('repo:org/*');
    }
  });

  it('answers malformed requests with invalid_request or unsupported_grant_type', async () => {
    const jwt = await githubToken();
    const raw = (body: string, type = 'application/x-www-form-urlencoded') =>
      api.call('POST', '/api/v1/auth/token', { headers: { 'Content-Type': type }, rawBody: body });
    expect((await raw(`grant_type=client_credentials&subject_token=${jwt}`)).body.error).toBe('unsupported_grant_type');
    expect(
      (await raw(`grant_type=${GRANT}&subject_token_type=${JWT_TYPE}&service_account_id=${ACCOUNT}`)).body,
    ).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/subject_token/) });
    expect(
      (
        await raw(
          `grant_type=${GRANT}&subject_token=${jwt}&subject_token_type=urn:ietf:params:oauth:token-type:id_token&service_account_id=${ACCOUNT}`,
        )
      ).body.error,
    ).toBe('invalid_request');
    expect((await raw(JSON.stringify({ grant_type: GRANT }), 'application/json')).body.error).toBe('invalid_request');
    expect((await raw(`grant_type=${GRANT}&grant_type=${GRANT}`)).body.error_description).toMatch(/more than once/);
    expect((await exchange('not-a-jwt')).body).toMatchObject({ error: 'invalid_request' });
    expect((await exchange(jwt, { requested_ttl: '-5' })).body.error).toBe('invalid_request');
    // An account without policies (or none at all): the answer of any issuer it does not trust.
    const untrusted = { error: 'invalid_grant', error_description: UNVERIFIED };
    expect((await exchange(jwt, {}, 'sa-reporting')).body).toStrictEqual(untrusted);
    expect((await exchange(jwt, {}, 'nobody')).body).toStrictEqual(untrusted);
  });

  it('answers 503 with Retry-After when the issuer cannot be reached, never a pass', async () => {
    const down = await startCiIssuer();
    const policy = await api.call('POST', ADMIN_POLICIES, {
      as: 'root',
      body: { name: 'down', issuer: down.issuer, audiences: [AUDIENCE], subject: 'repo:org/app:ref:refs/heads/main' },
    });
    expect(policy.status).toBe(201);
    const jwt = await down.issue(AUDIENCE, { sub: 'repo:org/app:ref:refs/heads/main' }).finally(() => down.close());
    const reply = await exchange(jwt);
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toBe('30');
    expect(reply.body.error).toBe('temporarily_unavailable');
    expect((await api.call('DELETE', `${ADMIN_POLICIES}/${policy.body.policyId}`, { as: 'root' })).status).toBe(204);
  });

  it('shares the policy’s maxRps among all the tokens it issues', async () => {
    const first = (await exchange(await githubToken())).body.access_token;
    const second = (await exchange(await githubToken())).body.access_token;
    // Rate 2, burst 2 for the policy. A token's first call after a second's pause is refused
    // only if another token emptied the bucket it shares: with a bucket of its own it is
    // always admitted. A slow machine may refill a call's worth between the two tokens'
    // calls, so the check is tried a few times; a bucket per token never passes it.
    const whoami = async (token: string) => (await api.call('GET', '/api/v1/auth/whoami', { token })).status;
    const pause = () => new Promise((resolve) => setTimeout(resolve, 1_100));
    let shared = false;
    for (let attempt = 0; attempt < 5 && !shared; attempt++) {
      await pause();
      const drained = [await whoami(first)];
      while (drained.at(-1) === 200 && drained.length < 6) drained.push(await whoami(first));
      // Full after the pause: its first call is admitted, and the burst runs out.
      expect(drained[0]).toBe(200);
      expect(drained.at(-1)).toBe(429);
      shared = (await whoami(second)) === 429;
    }
    expect(shared).toBe(true);
    // The next tests start with the policy's bucket full again.
    await pause();
  });

  it('ends an issued token at its expiry, and it is suspended or deleted like any token', async () => {
    // Long enough to be listed first on a busy machine, short enough to wait for.
    const short = (await exchange(await githubToken(), { requested_ttl: '6' })).body;
    expect(short.expires_in).toBe(6);
    const shortName = (await api.call('GET', '/api/v1/auth/tokens/self', { token: short.access_token })).body.name;
    const listedNames = async () =>
      (await api.call('GET', TOKENS, { as: 'alice' })).body.tokens.map((t: { name: string }) => t.name);
    expect(await listedNames()).toContain(shortName);
    await new Promise((resolve) => setTimeout(resolve, 6_100));
    expect((await api.call('GET', '/api/v1/auth/whoami', { token: short.access_token })).status).toBe(401);
    // Gone from the list at its expiry, before DynamoDB TTL removes the item.
    expect(await listedNames()).not.toContain(shortName);
    const token = (await exchange(await githubToken())).body.access_token;
    const name = (await api.call('GET', '/api/v1/auth/tokens/self', { token })).body.name;
    const patched = await api.call('PATCH', `${TOKENS}/${name}`, { as: 'alice', body: { maxRps: 50 } });
    expect(patched.status).toBe(400);
    expect(patched.body.errors[0]).toMatchObject({ field: 'maxRps' });
    expect((await api.call('PATCH', `${TOKENS}/${name}`, { as: 'alice', body: { status: 'SUSPENDED' } })).status).toBe(
      200,
    );
    expect((await api.call('GET', '/api/v1/auth/whoami', { token })).status).toBe(401);
    // The policy's shared key stays enabled for its other tokens.
    const sibling = (await exchange(await githubToken())).body.access_token;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await api.call('GET', '/api/v1/auth/whoami', { token: sibling })).status).toBe(200);
    expect((await api.call('DELETE', `${TOKENS}/${name}`, { as: 'alice' })).status).toBe(204);
    expect((await api.call('GET', '/api/v1/auth/whoami', { token })).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await api.call('GET', '/api/v1/auth/whoami', { token: sibling })).status).toBe(200);
  });

  it('stays out of the lifecycle job: no expiry notice for a token that lives minutes by design', async () => {
    const issued = (await exchange(await githubToken())).body.access_token;
    const issuedName = (await api.call('GET', '/api/v1/auth/tokens/self', { token: issued })).body.name as string;
    // A stored token expiring within the day, so the same pass has a notice to send.
    const storedName = `expires-soon-${Date.now()}`;
    const expiresAt = new Date(Date.now() + 12 * 3_600_000).toISOString();
    expect((await api.call('POST', TOKENS, { as: 'alice', body: { name: storedName, expiresAt } })).status).toBe(201);
    const { runtime } = api.service;
    const at = new Date(Date.now() + 2 * 86_400_000);
    await runLifecycle(
      { lifecycle: runtime.lifecycle, clock: () => at, ids: runtime.ids, suspendUnusedAfterDays: undefined },
      at,
    );
    const types = async (tokenName: string) =>
      (
        (
          await api.call('GET', `${TOKENS.replace(/tokens$/, 'token-events')}?tokenName=${tokenName}&limit=100`, {
            as: 'alice',
          })
        ).body.events as { type: string }[]
      ).map((e) => e.type);
    expect(await types(storedName)).toContain('token.expired');
    expect(await types(issuedName)).toStrictEqual(['token.exchanged']);
    expect((await api.call('DELETE', `${TOKENS}/${storedName}`, { as: 'alice' })).status).toBe(204);
  });

  it('records every exchange, refused or not, with the policy, iss, sub, jti and source IP', async () => {
    const events = (await api.call('GET', `${TOKENS.replace(/tokens$/, 'token-events')}?limit=100`, { as: 'alice' }))
      .body.events as { type: string; sourceIp: string; exchange: Record<string, unknown> }[];
    const exchanged = events.find((event) => event.type === 'token.exchanged')!;
    expect(exchanged.exchange).toMatchObject({
      policyId: deployId,
      policyName: 'deploy-prod',
      issuer: ci.issuer,
      subject: GITHUB_CLAIMS.sub,
      jti: expect.any(String),
    });
    expect(exchanged.sourceIp).toMatch(/127\.0\.0\.1/);
    const refused = events.filter((event) => event.type === 'token.exchange_refused');
    const reasons = refused.map((event) => String(event.exchange.reason));
    const checks = [/^replay:/, /^expiry:/, /^claim:repository_owner_id:/].map((check) => expect.stringMatching(check));
    expect(reasons).toEqual(expect.arrayContaining(checks));
    // Only tokens the issuer signed: the rest (forged, unknown issuer, unreachable keys) are counted, not stored.
    expect(reasons.filter((reason) => /^(algorithm|signature|issuer|format):/.test(reason))).toStrictEqual([]);
    expect(refused.filter((event) => event.exchange.error === 'temporarily_unavailable')).toStrictEqual([]);
    // Never the subject token itself.
    expect(JSON.stringify(events)).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });
});

describe('federation policies', () => {
  it('are created, listed, read and deleted on both bases, with the default audience', async () => {
    const created = await api.call('POST', ADMIN_POLICIES, {
      as: 'root',
      body: {
        name: 'gitlab',
        issuer: 'https://gitlab.example.test',
        subject: 'project_path:group/app:ref_type:branch:ref:main',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      audiences: ['service-account-tokens'],
      claims: {},
      maxTtlSeconds: 900,
      maxTokenAgeSeconds: 3600,
      maxRps: null,
      createdBy: 'root',
    });
    expect(created.headers.get('location')).toBe(`${ADMIN_POLICIES}/${created.body.policyId}`);
    const id = created.body.policyId;
    expect((await api.call('GET', `${POLICIES}/${id}`, { as: 'alice' })).body).toStrictEqual(created.body);
    expect(
      (await api.call('GET', POLICIES, { as: 'alice' })).body.policies.map((p: { name: string }) => p.name),
    ).toEqual(expect.arrayContaining(['deploy-prod', 'gitlab']));
    expect((await api.call('DELETE', `${POLICIES}/${id}`, { as: 'alice' })).status).toBe(204);
    expect((await api.call('GET', `${ADMIN_POLICIES}/${id}`, { as: 'root' })).body.code).toBe('POLICY_NOT_FOUND');
    expect((await api.call('DELETE', `${ADMIN_POLICIES}/${id}`, { as: 'root' })).status).toBe(404);
  });

  it('refuse what would admit anyone, naming each field', async () => {
    const reply = await api.call('POST', POLICIES, {
      as: 'alice',
      body: {
        name: 'bad name',
        issuer: 'http://ci.example.test',
        subject: '**',
        claims: { sub: ['x'] },
        maxTtlSeconds: 7200,
        maxRps: 0,
      },
    });
    expect(reply.status).toBe(400);
    const fields = Object.fromEntries(
      reply.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]),
    );
    expect(fields).toMatchObject({
      name: expect.stringMatching(/1 to 40/),
      issuer: expect.stringMatching(/https/),
      subject: expect.stringMatching(/wildcards only/),
      maxTtlSeconds: expect.stringMatching(/60 to 3600/),
      maxRps: expect.any(String),
    });
    const reserved = await api.call('POST', POLICIES, {
      as: 'alice',
      body: { name: 'n', issuer: 'https://ci.example.test', subject: 'repo:org/app:**', claims: { aud: ['x'] } },
    });
    expect(reserved.body.errors).toEqual([
      { field: 'claims', message: expect.stringMatching(/must not name iss, aud/) },
    ]);
  });

  it('are at most 50 per service account', async () => {
    const body = (i: number) => ({ name: `p${i}`, issuer: 'https://ci.example.test', subject: `repo:org/app${i}:**` });
    const account = '/api/v1/auth/service-accounts/sa-platform/federation-policies';
    for (let i = 0; i < 50; i++)
      expect((await api.call('POST', account, { as: 'root', body: body(i) })).status).toBe(201);
    const refused = await api.call('POST', account, { as: 'root', body: body(50) });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('POLICY_LIMIT_REACHED');
    const first = (await api.call('GET', account, { as: 'root' })).body.policies[0].policyId;
    expect((await api.call('DELETE', `${account}/${first}`, { as: 'root' })).status).toBe(204);
    expect((await api.call('POST', account, { as: 'root', body: body(50) })).status).toBe(201);
  });

  it('can be tested against a JWT: every check, with the patterns, without issuing or using up the jti', async () => {
    const jwt = await githubToken({ environment: 'staging', sub: 'repo:org/app:environment:staging' });
    const reply = await api.call('POST', `${POLICIES}/${deployId}/test`, { as: 'alice', body: { subjectToken: jwt } });
    expect(reply.status).toBe(200);
    expect(reply.body.passed).toBe(false);
    const checks = Object.fromEntries(
      reply.body.checks.map((c: { name: string; passed: boolean; detail: string }) => [c.name, c]),
    );
    expect(checks).toMatchObject({
      format: { passed: true },
      algorithm: { passed: true },
      signature: { passed: true },
      issuer: { passed: true },
      audience: { passed: true },
      subject: {
        passed: false,
        detail: "subject 'repo:org/app:environment:staging' does not match 'repo:org/*:environment:prod'",
      },
      'claim:repository_owner_id': { passed: true },
      'claim:ref': { passed: true },
      replay: { passed: true },
    });
    const good = await githubToken();
    const passing = await api.call('POST', `${ADMIN_POLICIES}/${deployId}/test`, {
      as: 'root',
      body: { subjectToken: good },
    });
    expect(passing.body.passed).toBe(true);
    // Nothing was issued or remembered: the same token still exchanges once.
    expect((await exchange(good)).status).toBe(200);
    const after = await api.call('POST', `${POLICIES}/${deployId}/test`, { as: 'alice', body: { subjectToken: good } });
    expect(after.body.checks.find((c: { name: string }) => c.name === 'replay')).toMatchObject({ passed: false });
  });
});
