import { createPublicKey, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';

/**
 * An OpenID issuer reduced to what the service reads of one, on 127.0.0.1, for the cases a
 * real provider will not produce: several keys of one algorithm, keys published without a
 * `kid`, a discovery document that redirects, answers too much, too slowly, or names its
 * keys on another host. Every request it receives is counted, so a test can tell that the
 * service never asked.
 */
export interface StandInIssuer {
  issuer: string;
  port: number;
  /** Requests received, by path. */
  requests: string[];
  /** The published keys' private halves, in the order the JWKS lists them. */
  keys: KeyObject[];
  /** Replaces how a path is answered (the discovery document and JWKS are served by default). */
  answer(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  /** A subject token signed RS256 with `key`, without a `kid`. */
  sign(key: KeyObject, claims?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export const STAND_IN_AUDIENCE = 'https://tokens.example.test';
export const STAND_IN_SUBJECT = 'repo:org/app:ref:refs/heads/main';

/** A handler that answers 200 with this JSON. */
export function answerJson(body: unknown) {
  return (_req: IncomingMessage, res: ServerResponse) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Starts one, publishing `count` RSA keys (RS256, `use: sig`, no `kid`). */
export async function startStandInIssuer(count: number): Promise<StandInIssuer> {
  const keys = Array.from({ length: count }, () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  const published = (key: KeyObject) => ({
    ...createPublicKey(key).export({ format: 'jwk' }),
    alg: 'RS256',
    use: 'sig',
  });
  const jwks = { keys: keys.map(published) };
  const handlers = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const handler = handlers.get(req.url ?? '');
    if (handler) return handler(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  handlers.set('/.well-known/openid-configuration', answerJson({ issuer, jwks_uri: `${issuer}/jwks` }));
  handlers.set('/jwks', answerJson(jwks));
  return {
    issuer,
    port,
    requests,
    keys,
    answer: (path, handler) => void handlers.set(path, handler),
    async sign(key, claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      const standard = { iss: issuer, aud: STAND_IN_AUDIENCE, sub: STAND_IN_SUBJECT, iat: now, exp: now + 300 };
      return new SignJWT({ ...standard, jti: randomUUID(), ...claims }).setProtectedHeader({ alg: 'RS256' }).sign(key);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
