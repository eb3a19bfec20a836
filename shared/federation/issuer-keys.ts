import type { lookup as dnsLookup } from 'node:dns';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTVerifyGetKey, type JWTVerifyResult } from 'jose';
import type { AddressRules } from './addresses.js';
import { createIssuerFetch, type IssuerFetch } from './issuer-fetch.js';
import {
  CheckFailed,
  CLOCK_TOLERANCE_SECONDS,
  IssuerUnavailableError,
  quote,
  SUBJECT_TOKEN_ALGORITHMS,
} from './checks.js';
import type { SubjectTokenVerifier, VerifiedSubjectToken } from './ports.js';

/**
 * Subject-token verification against the keys an issuer publishes: its JWKS, found by
 * OIDC discovery and kept per container. Only issuers some policy names are ever
 * fetched (the caller checks before), so a presented `iss` cannot make us fetch any URL.
 *
 * - Every request goes through the issuer fetch (issuer-fetch.ts): https to public
 *   addresses only (loopback where the deployment allows it), no redirects, bounded.
 * - The discovery document is kept for `discoveryTtlMs`; its `issuer` must be the issuer,
 *   and its `jwks_uri` on the issuer's host or one the policy lists in `jwksHosts`.
 * - jose keeps the JWKS (`cacheMaxAge`) and fetches it again when a token names an
 *   unknown `kid`, at most once per `cooldownDuration`: a rotated key is found at once,
 *   and a flood of made-up `kid`s costs the issuer one request per cooldown.
 * - A token without `kid`, when several keys fit its algorithm, is tried with at most
 *   MAX_CANDIDATE_KEYS of them: a verdict either way, never an outage.
 * - Anything that stops us reading the keys is IssuerUnavailableError (503): never a pass.
 */
export interface IssuerKeyOptions {
  rules: AddressRules;
  discoveryTtlMs?: number;
  cooldownMs?: number;
  jwksMaxAgeMs?: number;
  timeoutMs?: number;
  /** The largest discovery document or JWKS read. */
  maxBytes?: number;
  /** DNS, for tests. */
  lookup?: typeof dnsLookup;
}

/** Keys tried for a token that names none: enough for an issuer's rollover, few enough to bound the work. */
export const MAX_CANDIDATE_KEYS = 5;
const MAX_DOCUMENT_BYTES = 65_536;

interface Discovered {
  keys: JWTVerifyGetKey;
  /** The host of `jwks_uri`, with its port when not the default. */
  keysHost: string;
  until: number;
}

/** Why a request failed, in words a policy's administrator can act on (the policy test shows it). */
function reasonOf(error: unknown): string {
  const { message, code } = error as { message?: string; code?: string };
  return code && !String(message).includes(code) ? `${message} (${code})` : String(message);
}

async function discover(fetcher: IssuerFetch, issuer: string, options: IssuerKeyOptions, timeout: number) {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let document: { issuer?: unknown; jwks_uri?: unknown };
  try {
    document = (await (await fetcher(url)).json()) as typeof document;
  } catch (error) {
    const reason = reasonOf(error);
    throw new IssuerUnavailableError(`The issuer's discovery document could not be read: ${reason}`, { cause: error });
  }
  // As OpenID Connect Discovery requires: the document must be the issuer's own.
  if (document.issuer !== issuer || typeof document.jwks_uri !== 'string' || !URL.canParse(document.jwks_uri)) {
    throw new IssuerUnavailableError(`The issuer's discovery document does not name it, or names no jwks_uri`);
  }
  const jwksUri = new URL(document.jwks_uri);
  const keys = createRemoteJWKSet(jwksUri, {
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.jwksMaxAgeMs ?? 600_000,
    timeoutDuration: timeout,
    [customFetch]: fetcher,
  });
  const until = Date.now() + (options.discoveryTtlMs ?? 3_600_000);
  return { keys, keysHost: jwksUri.host, until };
}

type VerificationKey = Parameters<typeof jwtVerify>[1];
type Verify = (key: VerificationKey) => Promise<JWTVerifyResult>;

/** Verifies with each key that fits the token's algorithm, in the order published, until one does. */
async function verifyWithCandidates(candidates: AsyncIterable<unknown>, verify: Verify) {
  let tried = 0;
  for await (const key of candidates) {
    if (++tried > MAX_CANDIDATE_KEYS) break;
    try {
      return await verify(key as VerificationKey);
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed)) throw error;
    }
  }
  const tries = `none of the issuer's first ${MAX_CANDIDATE_KEYS} keys for its algorithm verifies it`;
  throw new CheckFailed('signature', `the subject token names no key (no 'kid'), and ${tries}`);
}

export function createIssuerKeyVerifier(options: IssuerKeyOptions): SubjectTokenVerifier {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const fetcher = createIssuerFetch({
    rules: options.rules,
    timeoutMs,
    maxBytes: options.maxBytes ?? MAX_DOCUMENT_BYTES,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  const issuers = new Map<string, Promise<Discovered>>();

  function keysOf(issuer: string): Promise<Discovered> {
    const known = issuers.get(issuer);
    if (known) {
      // A failed or stale discovery is forgotten, so the next token tries again.
      const forget = (found: Discovered) =>
        found.until <= Date.now() && issuers.get(issuer) === known && issuers.delete(issuer);
      known.then(forget).catch(() => undefined);
      return known;
    }
    const pending = discover(fetcher, issuer, options, timeoutMs);
    issuers.set(issuer, pending);
    pending.catch(() => issuers.get(issuer) === pending && issuers.delete(issuer));
    return pending;
  }

  return async (jwt, issuer, now, { jwksHosts = [] } = {}) => {
    const { keys, keysHost } = await keysOf(issuer);
    if (keysHost !== new URL(issuer).host && !jwksHosts.includes(keysHost)) {
      throw new IssuerUnavailableError(
        `The issuer's jwks_uri is on ${keysHost}, not on the issuer's host; ` +
          `list that host in the policy's jwksHosts to trust it`,
      );
    }
    const verify = (key: VerificationKey) =>
      jwtVerify(jwt, key as JWTVerifyGetKey, {
        issuer,
        algorithms: [...SUBJECT_TOKEN_ALGORITHMS],
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: now,
      });
    try {
      let result: JWTVerifyResult;
      try {
        result = await verify(keys);
      } catch (error) {
        if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
        result = await verifyWithCandidates(error as unknown as AsyncIterable<unknown>, verify);
      }
      const { payload } = result;
      // The signature verified: from here on, every refusal is about authentic claims.
      const refuse = (check: string, description: string) => new CheckFailed(check, description, true);
      const { jti } = payload;
      if (typeof jti !== 'string' || jti === '') throw refuse('claims', `claim 'jti' must be a non-empty string`);
      if (typeof payload.sub !== 'string') throw refuse('claims', `claim 'sub' must be a string`);
      // jose checks iat only against a maximum age; a token issued in the future is refused here.
      const future = payload.iat! > now.getTime() / 1000 + CLOCK_TOLERANCE_SECONDS;
      if (future) throw refuse('iat', `claim 'iat' is in the future`);
      return { claims: payload as VerifiedSubjectToken['claims'], keysHost };
    } catch (error) {
      throw explain(error, jwt);
    }
  };
}

/** A jose error as the check that failed, or as an unavailable issuer. */
function explain(error: unknown, jwt: string): Error {
  if (error instanceof CheckFailed || error instanceof IssuerUnavailableError) return error;
  // jose checks the claims only once the signature verified.
  if (error instanceof errors.JWTExpired) {
    return new CheckFailed('expiry', `the subject token expired (claim ${quote(error.claim)})`, true);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const what =
      error.reason === 'missing' ? 'is missing' : error.reason === 'invalid' ? 'is not valid' : 'failed its check';
    return new CheckFailed(error.claim === 'nbf' ? 'expiry' : 'claims', `claim ${quote(error.claim)} ${what}`, true);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new CheckFailed(
      'algorithm',
      `the subject token's algorithm is not accepted; it must be ${SUBJECT_TOKEN_ALGORITHMS.join(' or ')}`,
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    const kid = (() => {
      try {
        return JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')).kid as unknown;
      } catch {
        return undefined;
      }
    })();
    return new CheckFailed(
      'signature',
      `the issuer publishes no key with kid ${quote(kid ?? '(none)')} for this algorithm`,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new CheckFailed('signature', "the signature does not verify with the issuer's key");
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return new CheckFailed('format', 'subject_token is not a valid signed JWT');
  // Timeouts, a JWKS that is not 200 or not JSON, a refused address: the keys are unknown.
  return new IssuerUnavailableError(`The issuer's keys could not be read: ${reasonOf(error)}`, { cause: error });
}
