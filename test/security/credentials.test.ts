import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPublicKey } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { PROJECT_ROOT } from '../../infra/local/paths.js';
import { issuerKey } from '../support/issuer.js';
import { LOCAL_DEFAULTS } from '../../shared/kernel/config.js';
import type { Directory } from '../../shared/directory/directory.js';
import { parseToken } from '../../shared/kernel/token-format.js';
import { adminTokens, domainTokens } from '../support/service.js';
import { count } from './support/figures.js';
import {
  problemShape,
  type Reply,
  type SecurityService,
  secretHygieneTest,
  startSecurityService,
} from './support/harness.js';
import { forgeToken } from './support/hostile.js';

/**
 * What a stolen, forged or stale credential gets: nothing, and a 401 that does not say
 * why. JWTs are minted here with jose, with the local OpenID provider's own key where the attack
 * needs it (a stolen signing key is out of scope; a misused one is not).
 */
const DOMAIN = 'cr';
const USER = 'cr-user';
const ACCOUNT = 'cr-sa';

function credentialsDirectory(): Directory {
  return {
    domains: [{ id: DOMAIN, authorization: 'BUNDLE_V2' }],
    users: [
      { id: USER, type: 'USER', domains: [DOMAIN], groups: ['cr-team'], adminRoles: ['ADMIN'] },
      { id: ACCOUNT, type: 'SERVICE_ACCOUNT', domains: [DOMAIN], groups: ['cr-team'], adminRoles: [] },
    ],
    roles: [],
    bundles: [{ domain: DOMAIN, permissions: ['MANAGE_ACCESS_TOKEN'], users: [USER], groups: [] }],
  };
}

let api: SecurityService | undefined;
let devKey: JWK;
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The claims a valid JWT from the local provider carries, with `changes` applied (undefined removes a claim). */
function claims(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    sub: USER,
    iss: api!.api.issuer,
    aud: LOCAL_DEFAULTS.JWT_AUDIENCE,
    iat: now(),
    nbf: now() - 5,
    exp: now() + 600,
  };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

async function signWithDevKey(payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const key = await importJWK(devKey, 'ES256');
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: devKey.kid!, typ: 'JWT', ...header }).sign(key);
}

/** Signs exactly this header and payload with the dev key, for headers jose will not write. */
function signRaw(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const key = crypto.createPrivateKey({ key: devKey as crypto.JsonWebKey, format: 'jwk' });
  return `${input}.${crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

async function refusedJwts(): Promise<Record<string, string>> {
  const { privateKey: strangerKey, publicKey: strangerPublic } = await generateKeyPair('ES256', { extractable: true });
  const { privateKey: rsaKey } = await generateKeyPair('RS256');
  const { d: _d, ...publicJwk } = devKey;
  const publicPem = createPublicKey({ key: publicJwk as crypto.JsonWebKey, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const hmac = (secret: Uint8Array) =>
    new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: devKey.kid!, typ: 'JWT' }).sign(secret);
  const good = await signWithDevKey(claims());
  const [header, payload] = good.split('.') as [string, string, string];
  return {
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`,
    'alg none, kid of the dev key': `${b64({ alg: 'none', kid: devKey.kid, typ: 'JWT' })}.${b64(claims())}.`,
    'wrong issuer': await signWithDevKey(claims({ iss: 'https://attacker.invalid' })),
    'wrong audience': await signWithDevKey(claims({ aud: 'some-other-api' })),
    'audience list without ours': await signWithDevKey(claims({ aud: ['a', 'b'] })),
    expired: await signWithDevKey(claims({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 })),
    'expired beyond the clock tolerance': await signWithDevKey(claims({ exp: now() - 30 })),
    'not yet valid (nbf in the future)': await signWithDevKey(claims({ nbf: now() + 3600, exp: now() + 7200 })),
    'no exp': await signWithDevKey(claims({ exp: undefined })),
    'no sub': await signWithDevKey(claims({ sub: undefined })),
    'empty sub': await signWithDevKey(claims({ sub: '' })),
    'sub not a string': await signWithDevKey(claims({ sub: 42 })),
    'signed by an unknown key': await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid: 'stranger', typ: 'JWT' })
      .sign(strangerKey),
    'signed by an unknown key, kid of the dev key': await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid: devKey.kid!, typ: 'JWT' })
      .sign(strangerKey),
    'signed by an unknown key that the header embeds (jwk)': await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', jwk: await exportJWK(strangerPublic) })
      .sign(strangerKey),
    'signed by an unknown key that the header points at (jku)': await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid: 'stranger', typ: 'JWT', jku: 'https://attacker.invalid/jwks.json' })
      .sign(strangerKey),
    'RS256 by an unknown key': await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: devKey.kid!, typ: 'JWT' })
      .sign(rsaKey),
    'HS256 keyed with the public JWK': await hmac(new TextEncoder().encode(JSON.stringify(publicJwk))),
    'HS256 keyed with the public key PEM': await hmac(new TextEncoder().encode(publicPem)),
    'HS256 keyed with the public x coordinate': await hmac(Buffer.from(publicJwk.x!, 'base64url')),
    'unknown critical header': signRaw(
      { alg: 'ES256', kid: devKey.kid, typ: 'JWT', crit: ['x-must-understand'], 'x-must-understand': true },
      claims(),
    ),
    'payload changed after signing': `${header}.${b64(claims({ sub: ACCOUNT }))}.${good.split('.')[2]}`,
    'signature of another token': `${header}.${payload}.${(await signWithDevKey(claims({ sub: 'someone-else' }))).split('.')[2]}`,
    'two dots only': `${header}.${payload}`,
  };
}

beforeAll(async () => {
  api = await startSecurityService({ file: import.meta.filename, directory: credentialsDirectory() });
  devKey = await issuerKey();
});
afterAll(async () => api?.stop());

const paths = () => ['/api/v1/auth/whoami', domainTokens(DOMAIN, ACCOUNT), adminTokens(ACCOUNT)];

describe('JWTs that must not authenticate', () => {
  it('accepts a well-formed JWT signed with the local provider’s key (the control case)', async () => {
    // Both signers must produce what the authorizer accepts, or the refusals below prove nothing.
    for (const jwt of [
      await signWithDevKey(claims()),
      signRaw({ alg: 'ES256', kid: devKey.kid, typ: 'JWT' }, claims()),
    ]) {
      for (const path of paths())
        expect((await api!.call('GET', path, { headers: { Authorization: `Bearer ${jwt}` } })).status).toBe(
          200,
        ) /* path */;
    }
  });

  it('refuses alg none, wrong issuer or audience, expired, not yet valid, unknown keys and HS256 keyed with the public key, with one 401 body but for expiry', async () => {
    const variants = await refusedJwts();
    const bodies = { expired: new Set<string>(), other: new Set<string>() };
    const wrong: string[] = [];
    for (const [label, jwt] of Object.entries(variants)) {
      for (const path of paths()) {
        const reply = await api!.call('GET', path, { headers: { Authorization: `Bearer ${jwt}` } });
        count('inputs');
        if (reply.status !== 401 || problemShape(reply).length > 0 || !reply.headers['www-authenticate'])
          wrong.push(`${label} on ${path} → ${reply.status} ${reply.text.slice(0, 120)}`);
        bodies[label.startsWith('expired') ? 'expired' : 'other'].add(reply.text);
      }
    }
    expect(wrong).toStrictEqual([]);
    // The body never says which part was wrong (docs/api.md, "Errors": 401), but for a JWT
    // that has expired: only a JWT whose signature, issuer and audience were good gets there.
    expect([bodies.expired.size, bodies.other.size]).toStrictEqual([1, 1]);
    expect(JSON.parse([...bodies.expired][0]!).detail).toMatch(/has expired/);
    expect(JSON.parse([...bodies.other][0]!).detail).not.toMatch(/expired/);
  });
});

describe('access tokens that must not authenticate', () => {
  it('refuses a forged secret for a real lookup id, a suspended and a deleted token, with the same 401 body', async () => {
    const service = api!;
    const make = async (name: string) =>
      (await service.call('POST', domainTokens(DOMAIN, ACCOUNT), { as: USER, body: { name } })).body.token as string;
    const valid = await make('valid');
    const suspended = await make('suspended');
    const deleted = await make('deleted');
    expect(
      (
        await service.call('PATCH', `${domainTokens(DOMAIN, ACCOUNT)}/suspended`, {
          as: USER,
          body: { status: 'SUSPENDED' },
        })
      ).status,
    ).toBe(200);
    expect((await service.call('DELETE', `${domainTokens(DOMAIN, ACCOUNT)}/deleted`, { as: USER })).status).toBe(204);
    const { lookupId, secret } = parseToken(valid)!;
    const forged = forgeToken(lookupId, `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`);
    // 'the forged token passes the format check, so the hash comparison is what refuses it'
    expect(parseToken(forged)).toBeTruthy();
    const whoami = (token: string) => service.call('GET', '/api/v1/auth/whoami', { token });
    expect((await whoami(valid)).status).toBe(200);
    const refused: Reply[] = [
      await whoami(forged),
      await whoami(suspended),
      await whoami(deleted),
      await whoami(`${valid.slice(0, -1)}${valid.endsWith('x') ? 'y' : 'x'}`),
    ];
    count('inputs', refused.length);
    expect(refused.map((r) => r.status)).toStrictEqual([401, 401, 401, 401]);
    // The forged secret, the suspended and the deleted token: one answer, headers included.
    const answer = (r: Reply) => [r.text, r.headers['www-authenticate']];
    expect(new Set(refused.slice(0, 3).map((r) => JSON.stringify(answer(r)))).size).toBe(1);
    // A mistyped token (its checksum fails) is told so: that says nothing of which tokens exist.
    expect(JSON.parse(refused[3]!.text).detail).toMatch(/checksum/);
  });

  it('never echoes a presented token in an error body, wherever in the request it is put', async () => {
    const service = api!;
    const token = (await service.call('POST', domainTokens(DOMAIN, ACCOUNT), { as: USER, body: { name: 'echo' } })).body
      .token as string;
    const secret = parseToken(token)!.secret;
    const attempts = [
      service.call('GET', `${domainTokens(DOMAIN, ACCOUNT)}?nextToken=${token}&limit=${token}`, { as: USER }),
      service.call('PATCH', `${domainTokens(DOMAIN, ACCOUNT)}/${token}`, { as: USER, body: { status: token } }),
      service.call('POST', domainTokens(DOMAIN, ACCOUNT), {
        as: USER,
        body: { name: token, maxRps: token, expiresAt: token },
      }),
      service.call('POST', domainTokens(DOMAIN, token), { as: USER, body: { name: 'x' } }),
      service.call('GET', '/api/v1/auth/whoami', { headers: { 'X-API-Token': `${token} ${token}` } }),
      service.call('GET', `/no/such/route/${token}`, { token }),
    ];
    const replies = await Promise.all(attempts);
    count('inputs', replies.length);
    for (const reply of replies) {
      // reply.text
      expect(reply.status >= 400 && reply.status < 500).toBeTruthy();
      // `${reply.status} echoed the token`
      expect(!reply.text.includes(secret)).toBeTruthy();
    }
  });
});

describe('the secret comparison', () => {
  it('compares the stored hash with crypto.timingSafeEqual and nothing else', () => {
    const source = readFileSync(resolve(PROJECT_ROOT, 'shared/kernel/token-format.ts'), 'utf8');
    const bodyOf = (name: string) =>
      new RegExp(`export function ${name}\\([^)]*\\)[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1];
    // secretMatches is secretMatcher's comparison, which compares.
    expect(bodyOf('secretMatches')?.trim()).toBe('return secretMatcher(secret)(storedHash);');
    const body = bodyOf('secretMatcher');
    // 'secretMatcher not found in shared/kernel/token-format.ts'
    if (!body) throw new Error('body is missing');
    expect(body).toMatch(/timingSafeEqual\(/);
    // A string or buffer equality on the hashes would return at the first differing byte.
    expect(body.replace(/\.length\s*===\s*\w+\.length/g, '')).not.toMatch(
      /===|!==|==|!=|\.equals\(|\.compare\(|localeCompare/,
    );
  });
});

secretHygieneTest(() => api);
