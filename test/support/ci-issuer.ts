import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Adapter, type AdapterPayload, type Configuration, errors, type JWK } from 'oidc-provider';

/**
 * A real OpenID provider (`oidc-provider`) standing in for a CI system: it publishes its
 * discovery document and JWKS, and issues signed JWTs (RFC 9068 access tokens from a
 * client-credentials grant with a resource indicator) whose claims the test chooses, in
 * the shape GitHub Actions gives a job: `repository`, `repository_owner_id`, `ref`,
 * `environment`, `sub = repo:org/repo:environment:prod`. Nothing here is faked: the
 * service fetches the keys and verifies the signatures as it would GitHub's.
 */

export interface CiIssuer {
  issuer: string;
  /** A JWT for `audience` with these claims (`sub` included), signed RS256 unless ES256 is asked for. */
  issue(
    audience: string,
    claims: Record<string, string | number>,
    options?: { alg?: 'RS256' | 'ES256'; ttlSeconds?: number },
  ): Promise<string>;
  /** The private keys, for tests that forge tokens as an attacker with the right kid would. */
  keys: { rs256: JWK; es256: JWK };
  close(): Promise<void>;
}

export const GITHUB_CLAIMS = {
  sub: 'repo:org/app:environment:prod',
  repository: 'org/app',
  repository_owner: 'org',
  repository_owner_id: '65',
  ref: 'refs/heads/main',
  environment: 'prod',
} as const;

function memoryAdapter() {
  const rows = new Map<string, AdapterPayload>();
  return (model: string): Adapter => ({
    upsert: async (id, payload) => void rows.set(`${model}:${id}`, payload),
    find: async (id) => rows.get(`${model}:${id}`),
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: async () => undefined,
    destroy: async (id) => void rows.delete(`${model}:${id}`),
    revokeByGrantId: async () => undefined,
  });
}

function privateJwk(kind: 'rsa' | 'ec', alg: 'RS256' | 'ES256'): JWK {
  const { privateKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    ...(privateKey.export({ format: 'jwk' }) as JWK),
    kid: `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`,
    alg,
    use: 'sig',
  };
}

export async function startCiIssuer(): Promise<CiIssuer> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => void res.writeHead(503).end();
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keys = { rs256: privateJwk('rsa', 'RS256'), es256: privateJwk('ec', 'ES256') };
  // What the next token carries: tokens are requested one at a time (see `issue`).
  let next: { audience: string; claims: Record<string, string | number>; ttlSeconds: number } = {
    audience: '',
    claims: {},
    ttlSeconds: 300,
  };
  const clients = { RS256: 'ci-rs256', ES256: 'ci-es256' } as const;
  const secret = randomUUID();
  const configuration: Configuration = {
    adapter: memoryAdapter(),
    jwks: { keys: [keys.rs256, keys.es256] },
    clients: Object.entries(clients).map(([, clientId]) => ({
      client_id: clientId,
      client_secret: secret,
      token_endpoint_auth_method: 'client_secret_basic' as const,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    })),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => next.audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator, client) => {
          if (indicator !== next.audience) throw new errors.InvalidTarget();
          return {
            audience: indicator,
            scope: 'ci',
            accessTokenFormat: 'jwt',
            accessTokenTTL: next.ttlSeconds,
            jwt: { sign: { alg: client.clientId === clients.ES256 ? 'ES256' : 'RS256' } },
          };
        },
      },
    },
    extraTokenClaims: async (_ctx, token) =>
      token.kind === 'ClientCredentials'
        ? Object.fromEntries(Object.entries(next.claims).filter(([name]) => name !== 'sub'))
        : undefined,
    formats: {
      customizers: {
        // The only hook that can set `sub` (the formatter sets it after the extra claims).
        jwt: async (_ctx, _token, jwt) => {
          if (typeof next.claims.sub === 'string') jwt.payload.sub = next.claims.sub;
        },
      },
    },
    ttl: { ClientCredentials: () => next.ttlSeconds },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();
  handler = (req, res) => void callback(req, res);

  let queue: Promise<unknown> = Promise.resolve();
  return {
    issuer,
    keys,
    issue(audience, claims, options = {}) {
      const run = queue.then(async () => {
        next = { audience, claims, ttlSeconds: options.ttlSeconds ?? 300 };
        const clientId = clients[options.alg ?? 'RS256'];
        const response = await fetch(`${issuer}/token`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ grant_type: 'client_credentials', resource: audience, scope: 'ci' }),
        });
        const body = (await response.json()) as { access_token?: string; error_description?: string };
        if (!body.access_token) throw new Error(`The CI issuer refused: ${body.error_description}`);
        return body.access_token;
      });
      queue = run.catch(() => undefined);
      return run;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
