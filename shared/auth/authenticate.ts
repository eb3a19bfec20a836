import { UnauthorizedError } from '../kernel/errors.js';
import { addressAllowed } from '../kernel/networks.js';
import type { RequestMeta } from '../http/request-origin.js';
import { type Caller, isExpired, type TokenCredential, type TokenSecret } from '../kernel/model.js';
import { TOKEN_SCOPES } from '../kernel/restrictions.js';
import type { Clock, IdGenerator } from '../kernel/ports.js';
import type { CredentialStore, PresentedCredential, PrincipalLookup, RateHolder } from './ports.js';
import { tokenEvent } from '../kernel/events.js';
import { hasTokenPrefix, mintToken, parseToken } from '../kernel/token-format.js';
import type { JwtVerifier } from './jwt.js';
import { presentedSecret } from '../kernel/replaced-secrets.js';

/** Who a request comes from, as the authorizer established it, and whose rate limit the call counts against. */
export interface Authentication {
  caller: Caller;
  holder: RateHolder;
  /**
   * The address a token was presented from outside its allowed networks: the token
   * authenticated (its calls count against its own rate limit), but may not act from there.
   */
  refusedFrom?: string;
}

export interface AuthenticatorDeps {
  credentials: CredentialStore;
  directory: Pick<PrincipalLookup, 'getPrincipal'>;
  verifyJwt: JwtVerifier;
  /** The claim that names the user in a JWT, read (unverified) to start the directory read early. */
  userClaim: string;
  clock: Clock;
  ids: IdGenerator;
  /** How long a container remembers whether a JWT's user is a service account. */
  accountTypeCacheSeconds: number;
  lastUsedWriteIntervalSeconds: number;
}

const NO_META: RequestMeta = { requestId: null, sourceIp: null, userAgent: null };
/** How many users' account types a container remembers at most. */
const ACCOUNT_TYPES_KEPT = 10_000;

function header(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return undefined;
}

/**
 * Finds the credential in the headers and verifies it. A failure is an UnauthorizedError
 * whose reason says only what the presented value shows by itself (absent, malformed,
 * `Bearer ` inside X-API-Token) or what the identity provider's signature vouches for (a
 * JWT that expired); every well-formed token that does not authenticate gets the same
 * reason, `invalid-token` (shared/kernel/auth-failures.ts).
 *
 * - `X-API-Token: <token>` is an access token;
 * - `Authorization: Bearer <value>` is an access token when the value has the token
 *   prefix, and a JWT otherwise.
 */
export function createAuthenticator(deps: AuthenticatorDeps) {
  const now = deps.clock;

  /**
   * A replaced secret presented after its grace period (any of those the token still
   * recognises): refused like any bad credential, and recorded (at most once a minute per
   * token) with when that secret stopped working, so its owner learns something still
   * uses it. The recording never delays or changes the refusal's outcome.
   */
  async function reportReuse(credential: TokenCredential, retiredAt: string, at: Date, meta: RequestMeta) {
    const actor = {
      userId: credential.serviceAccountId,
      authenticatedBy: 'ACCESS_TOKEN' as const,
      tokenName: credential.name,
    };
    const event = tokenEvent(deps, 'token.used_after_rotation', credential, { actor, ...meta }, {}, at, { retiredAt });
    await deps.credentials.recordReuse(credential, event, deps.lastUsedWriteIntervalSeconds);
    return new UnauthorizedError();
  }

  /**
   * A call from outside the token's allowed networks (an unknown address is outside):
   * refused, and recorded the same way (at most once a minute per token), so its owner
   * learns where the token is being tried. Judged on the credential already read: no
   * round trip beyond the recording, and only on a refusal. Not a use: lastUsedAt stays.
   */
  async function refuseNetwork(credential: TokenCredential, secret: TokenSecret, at: Date, meta: RequestMeta) {
    const actor = { userId: credential.serviceAccountId, authenticatedBy: 'ACCESS_TOKEN' as const, secret };
    const event = tokenEvent(
      deps,
      'token.refused_network',
      credential,
      { actor: { ...actor, tokenName: credential.name }, ...meta },
      {},
      at,
    );
    await deps.credentials.recordNetworkRefusal(credential, event, deps.lastUsedWriteIntervalSeconds);
    return meta.sourceIp ?? 'an unknown address';
  }

  async function byToken(presented: string, meta: RequestMeta): Promise<Authentication> {
    const parsed = parseToken(presented);
    if (!parsed) throw new UnauthorizedError('malformed-token');
    const found = await deps.credentials.getCredential(parsed.lookupId);
    // An unknown (or deleted) lookup id costs the same hash comparisons as a real one
    // with a wrong secret, so that not even the time taken tells them apart.
    const credential = found ?? DECOY;
    // The secret replaced by a rotation works during its grace period, and older ones are
    // recognised, all from the same one read: the credential holds their hashes.
    const at = now();
    const secret = presentedSecret(credential, parsed.secret, at);
    if (secret === undefined || !found) throw new UnauthorizedError('invalid-token');
    if ('retiredAt' in secret) throw await reportReuse(credential, secret.retiredAt, at, meta);
    // A pending credential's secret has not been handed to anyone yet; refused all the same.
    if (credential.status !== 'ACTIVE' || isExpired(credential.expiresAt, at) || credential.pendingSince !== undefined)
      throw new UnauthorizedError('invalid-token');
    const { allowedCidrs = null, scopes = [...TOKEN_SCOPES] } = credential;
    const outside = allowedCidrs !== null && !addressAllowed(meta.sourceIp ?? '', allowedCidrs);
    const refusedFrom = outside ? await refuseNetwork(credential, secret.secret, at, meta) : undefined;
    if (!outside) await deps.credentials.recordUse(credential, at, deps.lastUsedWriteIntervalSeconds, secret.secret);
    return {
      ...(refusedFrom === undefined ? {} : { refusedFrom }),
      caller: {
        userId: credential.serviceAccountId,
        authenticatedBy: 'ACCESS_TOKEN',
        tokenName: credential.name,
        maxRps: credential.maxRps,
        expiresAt: credential.expiresAt,
        secret: secret.secret,
        scopes,
        allowedCidrs,
      },
      holder: {
        maxRps: credential.maxRps,
        lookupId: credential.lookupId,
        key: {
          ...(credential.apiKeyId === undefined ? {} : { apiKeyId: credential.apiKeyId }),
          ...(credential.usageKey === undefined ? {} : { usageKey: credential.usageKey }),
          ...(credential.keyRps === undefined ? {} : { keyRps: credential.keyRps }),
          ...(credential.keyReadyAt === undefined ? {} : { keyReadyAt: credential.keyReadyAt }),
        },
      },
    };
  }

  /**
   * A JWT names a person (or another non-service user): service accounts authenticate
   * only with their access tokens, which can be suspended, deleted and throttled. Whether
   * a user is a service account is read alongside the signature check (no round trip in
   * sequence) and remembered for a while per container: the directory changes only by
   * import. Every function checks again with the profile it reads anyway
   * (`assertCredentialFitsPrincipal`), so the memory never lets such a JWT act.
   */
  const accountTypes = new Map<string, { serviceAccount: boolean; until: number }>();
  function isServiceAccount(userId: string, at: number): Promise<boolean> {
    const known = accountTypes.get(userId);
    if (known && known.until > at) return Promise.resolve(known.serviceAccount);
    return deps.directory.getPrincipal(userId).then((principal) => {
      if (accountTypes.size >= ACCOUNT_TYPES_KEPT) accountTypes.delete(accountTypes.keys().next().value!);
      accountTypes.set(userId, {
        serviceAccount: principal?.type === 'SERVICE_ACCOUNT',
        until: at + deps.accountTypeCacheSeconds * 1000,
      });
      return principal?.type === 'SERVICE_ACCOUNT';
    });
  }

  async function byJwt(jwt: string): Promise<Authentication> {
    const claimed = unverifiedClaim(jwt, deps.userClaim);
    const serviceAccount = claimed === undefined ? Promise.resolve(false) : isServiceAccount(claimed, now().getTime());
    serviceAccount.catch(() => undefined);
    let userId: string;
    try {
      userId = await deps.verifyJwt(jwt);
    } catch (error) {
      // jose checks a JWT's claims only once its signature verified: an expired JWT was
      // the identity provider's, and saying so tells its holder nothing new.
      throw new UnauthorizedError(isJwtExpiry(error) ? 'jwt-expired' : 'invalid-jwt');
    }
    if (userId !== claimed || (await serviceAccount)) throw new UnauthorizedError('invalid-jwt');
    return { caller: { userId, authenticatedBy: 'JWT' }, holder: { maxRps: null, key: {} } };
  }

  return async function authenticate(
    headers: Record<string, string | undefined> | null | undefined,
    meta: RequestMeta = NO_META,
  ): Promise<Authentication> {
    const apiToken = header(headers, 'x-api-token');
    if (apiToken !== undefined) {
      if (/^Bearer\s/i.test(apiToken.trim())) throw new UnauthorizedError('bearer-in-api-token');
      return byToken(apiToken.trim(), meta);
    }
    const authorization = header(headers, 'authorization');
    const bearer = authorization === undefined ? undefined : /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization)?.[1];
    if (bearer === undefined) throw new UnauthorizedError();
    return hasTokenPrefix(bearer) ? byToken(bearer, meta) : byJwt(bearer);
  };
}

/** jose's error for a verified JWT past its `exp` (`JWTExpired`, code ERR_JWT_EXPIRED). */
function isJwtExpiry(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_JWT_EXPIRED';
}

/** A credential no token has: compared against when the lookup id is unknown, and never accepted. */
const DECOY: PresentedCredential = {
  lookupId: 'decoy',
  serviceAccountId: '',
  name: '',
  secretHash: mintToken().secretHash,
  status: 'ACTIVE',
  maxRps: null,
  expiresAt: null,
  lastUsedAt: null,
};

/** A claim of a JWT's payload, read without verifying anything: only to start work early. */
function unverifiedClaim(jwt: string, claim: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const value = payload[claim];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
