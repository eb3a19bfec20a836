import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { craftJwt } from '../support/issuer.js';
import { assembleToken, mintToken, parseToken } from '../../shared/kernel/token-format.js';
import { importDeps, importDirectory } from '../../shared/directory/import.js';
import { domainTokens, exampleDirectory, startTestService, type TestService } from '../support/service.js';

/**
 * What a refusal says, over real HTTP through the local gateway (docs/api.md, "Errors"):
 * a 401 tells an expired JWT, `Bearer ` inside X-API-Token and a malformed token apart,
 * never which well-formed tokens exist, and always carries a WWW-Authenticate challenge;
 * a 403 in a domain names the domain.
 */

let api: TestService;
const BASE = domainTokens('finance', 'sa-etl');
const WHOAMI = '/api/v1/auth/whoami';
const CHALLENGE = 'Bearer realm="service-account-tokens"';

beforeAll(async () => {
  api = await startTestService();
});
afterAll(async () => api?.stop());

async function newToken(name: string): Promise<string> {
  const created = await api.call('POST', BASE, { as: 'alice', body: { name } });
  expect(created).toMatchObject({ status: 201 });
  return created.body.token;
}

const whoamiWith = (headers: Record<string, string>) => api.call('GET', WHOAMI, { headers });

/** Everything a client sees of an answer but the date, which only says when. */
function seen(reply: Awaited<ReturnType<typeof whoamiWith>>) {
  const headers = Object.fromEntries([...reply.headers.entries()].filter(([name]) => name !== 'date'));
  return { status: reply.status, headers, body: reply.text };
}

describe('a 401 says why, as far as the presented value shows', () => {
  it('tells an expired JWT, Bearer inside X-API-Token and a malformed token apart, as API Gateway would', async () => {
    const token = await newToken('told-apart');
    const expired = await craftJwt('alice', { issuer: api.issuer, expiresAt: Math.floor(Date.now() / 1000) - 60 });
    const cases = {
      expired: await whoamiWith({ Authorization: `Bearer ${expired}` }),
      bearerInside: await whoamiWith({ 'X-API-Token': `Bearer ${token}` }),
      checksum: await whoamiWith({ 'X-API-Token': `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` }),
      notAToken: await whoamiWith({ 'X-API-Token': 'hunter2' }),
      nothing: await whoamiWith({}),
    };
    const answers = Object.fromEntries(
      Object.entries(cases).map(([name, r]) => [
        name,
        { status: r.status, code: r.body.code, detail: r.body.detail, challenge: r.headers.get('www-authenticate') },
      ]),
    );
    // The authorizer's Deny, answered by a gateway response: its header is fixed text, the
    // bare challenge, whatever the reason; the detail in the body says why.
    expect(answers).toStrictEqual({
      expired: {
        status: 401,
        code: 'UNAUTHORIZED',
        detail: 'The bearer JWT has expired: get a new one from the identity provider.',
        challenge: CHALLENGE,
      },
      bearerInside: {
        status: 401,
        code: 'UNAUTHORIZED',
        detail:
          'X-API-Token takes the token alone: drop the "Bearer " prefix, or send it as Authorization: Bearer <token>.',
        challenge: CHALLENGE,
      },
      checksum: {
        status: 401,
        code: 'UNAUTHORIZED',
        detail:
          'This is not a well-formed access token (its format or checksum is wrong): check that it was copied whole.',
        challenge: CHALLENGE,
      },
      notAToken: answers.checksum,
      nothing: {
        status: 401,
        code: 'UNAUTHORIZED',
        detail: expect.stringMatching(/^A valid access token or bearer JWT is required/),
        challenge: CHALLENGE,
      },
    });
    // The token itself was never in question.
    expect((await whoamiWith({ 'X-API-Token': token })).status).toBe(200);
  });

  it('answers an unknown token, a wrong secret for a real one, a deleted and a suspended token identically', async () => {
    const real = await newToken('real');
    const deleted = await newToken('deleted');
    const suspended = await newToken('suspended');
    expect((await api.call('DELETE', `${BASE}/deleted`, { as: 'alice' })).status).toBe(204);
    const patched = await api.call('PATCH', `${BASE}/suspended`, { as: 'alice', body: { status: 'SUSPENDED' } });
    expect(patched.status).toBe(200);
    const wrongSecret = assembleToken(parseToken(real)!.lookupId, parseToken(mintToken().token)!.secret);
    const answers = [];
    for (const token of [mintToken().token, wrongSecret, deleted, suspended]) {
      answers.push(seen(await whoamiWith({ 'X-API-Token': token })));
      answers.push(seen(await whoamiWith({ Authorization: `Bearer ${token}` })));
    }
    expect(answers[0]).toMatchObject({ status: 401, headers: { 'www-authenticate': expect.any(String) } });
    expect(JSON.parse(answers[0]!.body).detail).toMatch(/^The access token is not valid/);
    // Status, body and every header: nothing tells which of them exists.
    expect(answers).toStrictEqual(Array(answers.length).fill(answers[0]));
  });
});

describe('every 401 carries a WWW-Authenticate challenge', () => {
  it('when a function refuses, not the authorizer: a JWT of a person who has just become a service account', async () => {
    const directory = exampleDirectory();
    expect((await api.call('GET', WHOAMI, { as: 'carol' })).status).toBe(200);
    const retyped = {
      ...directory,
      users: directory.users.map((user) =>
        user.id === 'carol' ? { ...user, type: 'SERVICE_ACCOUNT' as const } : user,
      ),
    };
    await importDirectory(importDeps(api.service.runtime), retyped, { replace: true });
    try {
      const reply = await api.call('GET', WHOAMI, { as: 'carol' });
      expect({ status: reply.status, challenge: reply.headers.get('www-authenticate') }).toStrictEqual({
        status: 401,
        challenge: `${CHALLENGE}, error="invalid_token", error_description="The JWT is not accepted"`,
      });
    } finally {
      await importDirectory(importDeps(api.service.runtime), directory, { replace: true });
    }
  });

  it('when the secret scanning webhook refuses a report without a signature: the challenge names its header', async () => {
    const reply = await api.call('POST', '/api/v1/secret-scanning/github', { body: [] });
    expect({ status: reply.status, challenge: reply.headers.get('www-authenticate') }).toStrictEqual({
      status: 401,
      challenge: 'Github-Public-Key-Signature realm="secret-scanning"',
    });
  });
});

describe('a 403 in a domain names the domain', () => {
  it('says the same of a mistyped domain and of a real one the caller has no permission in', async () => {
    const mistyped = await api.call('GET', domainTokens('finanse', 'sa-etl'), { as: 'alice' });
    const real = await api.call('GET', domainTokens('marketing', 'sa-campaigns'), { as: 'alice' });
    const refusal = (domain: string) =>
      `You do not have permission to manage access tokens in domain "${domain}", or there is no such domain.`;
    expect([mistyped.status, mistyped.body.detail]).toStrictEqual([403, refusal('finanse')]);
    expect([real.status, real.body.detail]).toStrictEqual([403, refusal('marketing')]);
  });

  it('on the directory’s member list too', async () => {
    const reply = await api.call('GET', '/api/v1/domains/finanse/members', { as: 'alice' });
    expect([reply.status, reply.body.detail]).toStrictEqual([
      403,
      'Only a domain’s members may see its members: you are not a member of domain "finanse", ' +
        'or there is no such domain.',
    ]);
  });
});
