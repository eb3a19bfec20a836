import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { LOCAL_DEFAULTS } from '../../shared/config.js';
import { LOCAL_DIR } from './paths.js';

/**
 * The local OIDC issuer: one ES256 key kept under `.local/`, its public half served as
 * a JWKS by the local gateway, and dev JWTs signed with it. Only for local use: the
 * key never leaves the machine and the issuer name is not a real host.
 */
const KEY_FILE = resolve(LOCAL_DIR, 'dev-issuer-key.json');
const ALG = 'ES256';

async function createKeyFile(): Promise<void> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: ALG, use: 'sig' };
  mkdirSync(LOCAL_DIR, { recursive: true });
  const temporary = `${KEY_FILE}.${process.pid}.${randomUUID()}`;
  writeFileSync(temporary, JSON.stringify(jwk), { mode: 0o600 });
  try {
    // link() fails if the file exists: when two processes race, both use the first key.
    linkSync(temporary, KEY_FILE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
}

async function privateJwk(): Promise<JWK> {
  try {
    return JSON.parse(readFileSync(KEY_FILE, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await createKeyFile();
    return JSON.parse(readFileSync(KEY_FILE, 'utf8')) as JWK;
  }
}

/** The JWKS document the local gateway serves at `/.well-known/jwks.json`. */
export async function devJwks(): Promise<{ keys: JWK[] }> {
  const { d: _private, ...publicJwk } = await privateJwk();
  return { keys: [publicJwk] };
}

/** Signs a dev JWT for a user, valid for an hour, with the local issuer and audience unless told otherwise. */
export async function signDevToken(
  userId: string,
  options: { expiresAt?: number; notBefore?: number; issuedAt?: number; issuer?: string; audience?: string; userClaim?: string } = {},
): Promise<string> {
  const jwk = await privateJwk();
  const key = await importJWK(jwk, ALG);
  const userClaim = options.userClaim ?? 'sub';
  const claims = userClaim === 'sub' ? {} : { [userClaim]: userId };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, kid: jwk.kid!, typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(options.issuer ?? LOCAL_DEFAULTS.JWT_ISSUER)
    .setAudience(options.audience ?? LOCAL_DEFAULTS.JWT_AUDIENCE)
    .setIssuedAt(options.issuedAt)
    .setNotBefore(options.notBefore ?? Math.floor(Date.now() / 1000) - 5)
    .setExpirationTime(options.expiresAt ?? '1h')
    .sign(key);
}
