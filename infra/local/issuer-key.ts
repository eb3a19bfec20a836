import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { LOCAL_DIR } from './paths.js';

/**
 * The local OpenID provider's signing key: one ES256 key kept under `.local/`, so that
 * tokens it issued stay valid across restarts. Only for local use: it never leaves the
 * machine.
 */
export const ISSUER_KEY_FILE = resolve(LOCAL_DIR, 'dev-issuer-key.json');
export const ISSUER_KEY_ALG = 'ES256';

async function createKeyFile(): Promise<void> {
  const { privateKey } = await generateKeyPair(ISSUER_KEY_ALG, { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: ISSUER_KEY_ALG, use: 'sig' };
  mkdirSync(LOCAL_DIR, { recursive: true });
  const temporary = `${ISSUER_KEY_FILE}.${process.pid}.${randomUUID()}`;
  writeFileSync(temporary, JSON.stringify(jwk), { mode: 0o600 });
  try {
    // link() fails if the file exists: when two processes race, both use the first key.
    linkSync(temporary, ISSUER_KEY_FILE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/** The private signing JWK (with `kid`, `alg` and `use`), made on first use. */
export async function issuerSigningKey(): Promise<JWK> {
  try {
    return JSON.parse(readFileSync(ISSUER_KEY_FILE, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await createKeyFile();
    return JSON.parse(readFileSync(ISSUER_KEY_FILE, 'utf8')) as JWK;
  }
}
