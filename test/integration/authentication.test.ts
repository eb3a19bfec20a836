import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { generateKeyPair, SignJWT } from 'jose';
import { craftJwt } from '../support/issuer.js';
import { LOCAL_DEFAULTS } from '../../shared/kernel/config.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { assembleToken, mintToken, parseToken } from '../../shared/kernel/token-format.js';
import { importDeps, importDirectory } from '../../shared/directory/import.js';
import { domainTokens, exampleDirectory, startTestService, type TestService } from '../support/service.js';

let api: TestService;
const BASE = domainTokens('finance', 'sa-etl');
const WHOAMI = '/api/v1/auth/whoami';

beforeAll(async () => {
  api = await startTestService();
});
afterAll(async () => api?.stop());

async function newToken(name: string, body: Record<string, unknown> = {}): Promise<string> {
  const created = await api.call('POST', BASE, { as: 'alice', body: { name, ...body } });
  expect(created).toMatchObject({ status: 201 });
  return created.body.token;
}

async function whoamiWith(headers: Record<string, string>) {
  return api.call('GET', WHOAMI, { headers });
}

describe('access tokens', () => {
  it('accepts a token in X-API-Token and as a Bearer value with the token prefix', async () => {
    const token = await newToken('headers');
    expect((await whoamiWith({ 'X-API-Token': token })).status).toBe(200);
    expect((await whoamiWith({ 'x-api-token': token })).status).toBe(200);
    expect((await whoamiWith({ Authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await whoamiWith({ Authorization: `bearer ${token}` })).status).toBe(200);
  });

  it('refuses malformed and mistyped tokens with one 401 body, and forged ones with another', async () => {
    const token = await newToken('forgery-target');
    const { lookupId, secret } = parseToken(token)!;
    // A real lookup id, another secret and a valid checksum: only the hash compare can tell.
    const forged = assembleToken(lookupId, parseToken(mintToken().token)!.secret);
    const flipped = assembleToken(lookupId, `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`);
    const bodiesOf = async (values: string[]) => {
      const bodies = new Set<string>();
      for (const bad of values) {
        const result = await whoamiWith({ 'X-API-Token': bad });
        // bad
        expect(result.status).toBe(401);
        bodies.add(result.text);
      }
      return [...bodies];
    };
    const malformed = ['', 'iomsat_', token.slice(0, -1), `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`];
    const shapes = await bodiesOf([...malformed, 'not-a-token']);
    expect(shapes).toHaveLength(1);
    expect(JSON.parse(shapes[0]!).detail).toMatch(/not a well-formed access token/);
    // Well-formed but not a working secret: one body, whatever the token.
    const forgeries = await bodiesOf([forged, flipped, mintToken().token]);
    expect(forgeries).toHaveLength(1);
    expect(JSON.parse(forgeries[0]!).detail).toMatch(/^The access token is not valid/);
    // 'the real token still works'
    expect((await whoamiWith({ 'X-API-Token': token })).status).toBe(200);
  });

  it('refuses other Authorization schemes and empty bearer values', async () => {
    for (const value of ['Basic YWxpY2U6cGFzcw==', 'Bearer', 'Bearer ', 'Token abc']) {
      // value
      expect((await whoamiWith({ Authorization: value })).status).toBe(401);
    }
  });

  it('refuses an expired token at once and lists it as EXPIRED', async () => {
    const token = await newToken('soon-expired', { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await whoamiWith({ 'X-API-Token': token })).status).toBe(200);
    // Move the expiry into the past, as time would.
    const past = new Date(Date.now() - 1000).toISOString();
    const { lookupId } = parseToken(token)!;
    for (const key of [keys.credential(lookupId), keys.token('sa-etl', 'soon-expired')]) {
      await api.documentClient.send(
        new UpdateCommand({
          TableName: api.tableName,
          Key: key,
          UpdateExpression: 'SET expiresAt = :past',
          ExpressionAttributeValues: { ':past': past },
        }),
      );
    }
    expect((await whoamiWith({ 'X-API-Token': token })).status).toBe(401);
    const listed = (await api.call('GET', BASE, { as: 'alice' })).body.tokens.find(
      (t: { name: string }) => t.name === 'soon-expired',
    );
    expect(listed.status).toBe('EXPIRED');
    // Expired tokens still count and can still be deleted by their owners.
    expect((await api.call('DELETE', `${BASE}/soon-expired`, { as: 'alice' })).status).toBe(204);
  });

  it('writes lastUsedAt at most once a minute however often the token is used', async () => {
    const token = await newToken('hot');
    await whoamiWith({ 'X-API-Token': token });
    const first = (await api.call('GET', BASE, { as: 'alice' })).body.tokens.find(
      (t: { name: string }) => t.name === 'hot',
    ).lastUsedAt;
    expect(first).toBeTruthy();
    await Promise.all(Array.from({ length: 20 }, () => whoamiWith({ 'X-API-Token': token })));
    const later = (await api.call('GET', BASE, { as: 'alice' })).body.tokens.find(
      (t: { name: string }) => t.name === 'hot',
    ).lastUsedAt;
    expect(later).toBe(first);
    expect(api.service.runtime.config.tokens.lastUsedWriteIntervalSeconds).toBe(60);
  });
});

describe('JWTs', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses a JWT that names a service account, as any bad credential: service accounts authenticate with their tokens', async () => {
    const jwt = await craftJwt('sa-etl', { issuer: api.issuer });
    for (const path of [WHOAMI, BASE, '/api/v1/auth/service-accounts/sa-etl/tokens']) {
      const reply = await api.call('GET', path, { headers: { Authorization: `Bearer ${jwt}` } });
      expect({ path, status: reply.status, code: reply.body?.code }).toStrictEqual({
        path,
        status: 401,
        code: 'UNAUTHORIZED',
      });
    }
    // A person's JWT still works, and so does the service account's own token.
    expect((await api.call('GET', WHOAMI, { as: 'alice' })).status).toBe(200);
    expect((await whoamiWith({ 'X-API-Token': await newToken('sa-own') })).status).toBe(200);
  });

  it('refuses the JWT of a person who has just become a service account, though the authorizer still remembers a person', async () => {
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
      for (const path of [WHOAMI, '/api/v1/domains/finance/auth/service-accounts/sa-reporting/tokens']) {
        const reply = await api.call('GET', path, { as: 'carol' });
        expect({ path, status: reply.status, code: reply.body?.code }).toStrictEqual({
          path,
          status: 401,
          code: 'UNAUTHORIZED',
        });
      }
    } finally {
      await importDirectory(importDeps(api.service.runtime), directory, { replace: true });
    }
  });

  it('refuses a JWT issued in the future beyond the clock tolerance, and accepts one within it', async () => {
    const ahead = await craftJwt('alice', { issuer: api.issuer, issuedAt: now() + 600, notBefore: now() - 5 });
    expect((await whoamiWith({ Authorization: `Bearer ${ahead}` })).status).toBe(401);
    const skewed = await craftJwt('alice', { issuer: api.issuer, issuedAt: now() + 2 });
    expect((await whoamiWith({ Authorization: `Bearer ${skewed}` })).status).toBe(200);
  });

  it('accepts a JWT from the local OpenID provider', async () => {
    expect((await api.call('GET', WHOAMI, { as: 'alice' })).status).toBe(200);
  });

  it('refuses a JWT signed by a key outside the JWKS', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const stranger = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'stranger' })
      .setSubject('alice')
      .setIssuer(api.issuer)
      .setAudience(LOCAL_DEFAULTS.JWT_AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await whoamiWith({ Authorization: `Bearer ${stranger}` })).status).toBe(401);
  });

  it('refuses wrong issuer, wrong audience, expired and not-yet-valid JWTs signed by the right key', async () => {
    const variants: Record<string, Partial<Parameters<typeof craftJwt>[1]>> = {
      'wrong issuer': { issuer: 'https://other-issuer.invalid' },
      'wrong audience': { audience: 'other-audience' },
      expired: { expiresAt: now() - 60 },
      'not yet valid': { notBefore: now() + 3600, expiresAt: now() + 7200 },
    };
    for (const options of Object.values(variants)) {
      const jwt = await craftJwt('alice', { issuer: api.issuer, ...options });
      // what
      expect((await whoamiWith({ Authorization: `Bearer ${jwt}` })).status).toBe(401);
    }
  });

  it('refuses alg none and a JWT whose claims were changed after signing', async () => {
    const good = await api.jwt('alice');
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const asRoot = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'root' })).toString('base64url')}.${signature}`;
    // 'alg none'
    expect((await whoamiWith({ Authorization: `Bearer ${none}` })).status).toBe(401);
    // 'changed subject'
    expect((await whoamiWith({ Authorization: `Bearer ${asRoot}` })).status).toBe(401);
  });
});
