import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createPolicy } from '../shared/federation/policies.js';
import { SERVICE_ORIGIN } from '../shared/kernel/events.js';
import type { Runtime } from '../shared/runtime/runtime.js';

/**
 * The federation scenarios' world: an OpenID issuer on loopback (its discovery document
 * and JWKS, nothing else: the service fetches them once, then keeps them, which is what
 * the exchange's hot path is), subject tokens signed ahead of time (each jti is used once,
 * so a load test needs one per request), and a policy that accepts them.
 */
export const FEDERATION_AUDIENCE = 'https://bench.example.test';
const SUBJECT = 'repo:org/app:environment:prod';

export interface BenchIssuer {
  issuer: string;
  /** Subject tokens, ES256, one per exchange (each used once). */
  sign(count: number): Promise<string[]>;
  close(): Promise<void>;
}

export async function startBenchIssuer(): Promise<BenchIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const body =
      req.url === '/.well-known/openid-configuration'
        ? { issuer, jwks_uri: `${issuer}/jwks` }
        : req.url === '/jwks'
          ? jwks
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    async sign(count) {
      const now = Math.floor(Date.now() / 1000);
      const tokens: string[] = [];
      for (let i = 0; i < count; i++) {
        tokens.push(
          await new SignJWT({
            repository: 'org/app',
            repository_owner_id: '65',
            ref: 'refs/heads/main',
            environment: 'prod',
          })
            .setProtectedHeader({ alg: 'ES256', kid })
            .setIssuer(issuer)
            .setAudience(FEDERATION_AUDIENCE)
            .setSubject(SUBJECT)
            .setJti(randomUUID())
            .setIssuedAt(now)
            .setExpirationTime(now + 3_600)
            .sign(privateKey),
        );
      }
      return tokens;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The policy the scenarios exchange against: a subject pattern and two claims, as a real one would have. */
export async function benchPolicy(runtime: Runtime, account: string, issuer: string): Promise<void> {
  await createPolicy(
    { ...runtime, defaultAudience: FEDERATION_AUDIENCE },
    {
      serviceAccountId: account,
      name: 'bench-ci',
      issuer,
      audiences: [FEDERATION_AUDIENCE],
      subject: 'repo:org/*:environment:prod',
      claims: { repository_owner_id: ['65'], ref: ['refs/heads/main'] },
      createdBy: 'bench',
      origin: SERVICE_ORIGIN,
      // The account's own, as the endpoint reads it with the account.
      incarnation: (await runtime.directory.getPrincipal(account))?.incarnation,
    },
  );
}

/** The form of one exchange. */
export const exchangeForm = (subjectToken: string, account: string): string =>
  new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: subjectToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    service_account_id: account,
  }).toString();
