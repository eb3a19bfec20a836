import { restrictionsOf } from '../kernel/restrictions.js';
import { createHash } from 'node:crypto';
import type { RequestMeta } from '../http/request-origin.js';
import { type TokenBinding, type TokenRecord, type TokenView, toTokenView } from '../kernel/model.js';
import type { Clock, IdGenerator } from '../kernel/ports.js';
import { TOKEN_MAX_RPS } from '../kernel/rate-tiers.js';
import { fieldChanges, tokenEvent, type ChangeOrigin, type ExchangeDetails } from '../kernel/events.js';
import { bindingOf } from '../tokens/token-items.js';
import {
  choosePolicy,
  CheckFailed,
  checkAlgorithm,
  type Claims,
  decodeUnverified,
  ECHO_LENGTH,
  IssuerUnavailableError,
  quote,
} from './checks.js';
import type { StoredPolicy } from './policy.js';
import type { ExchangeRecords, PolicyStore, ReplayGuard, SubjectTokenVerifier } from './ports.js';

/**
 * The exchange (RFC 8693): a CI job's OIDC token for a short-lived access token of a
 * service account, when one of the account's federation policies accepts it. It knows
 * nothing of HTTP; refusals are ExchangeRefused (RFC 6749 §5.2 codes) or, when the
 * issuer's keys cannot be read, IssuerUnavailableError (503: never a pass).
 */

export interface ExchangeDeps {
  policies: PolicyStore;
  replay: ReplayGuard;
  records: ExchangeRecords;
  verify: SubjectTokenVerifier;
  clock: Clock;
  ids: IdGenerator;
  /** Told of refusals no event records: those before the signature verified, and failed records. */
  onUnrecorded?: (details: ExchangeDetails & { serviceAccountId: string }) => void;
}

export interface ExchangeRequest {
  subjectToken: string;
  serviceAccountId: string;
  requestedTtl?: number;
  meta: RequestMeta;
}

export interface ExchangedToken {
  token: string;
  expiresIn: number;
  view: TokenView;
}

export class ExchangeRefused extends Error {
  override name = 'ExchangeRefused';
  constructor(
    readonly error: 'invalid_request' | 'invalid_grant',
    readonly description: string,
    /** The failed check's name (the event records it). */
    readonly check: string,
    /** Whether the subject token's signature had verified: only then is the refusal recorded. */
    readonly verified: boolean,
  ) {
    super(description);
  }
}

/** A refusal's description, naming the closest policy when it does not already. */
function namingPolicy(description: string, policy: StoredPolicy | undefined): string {
  return policy && !description.includes(`'${policy.name}'`)
    ? `${description} (closest policy: '${policy.name}')`
    : description;
}

/**
 * The one answer to every subject token whose signature did not verify with the keys of
 * an issuer the account trusts: no such issuer named, no policies, a bad or unknown key.
 * It is made from the token alone, so it tells nothing about the account's policies or
 * which issuers it trusts; only whether the token names a key (`kid`) is the token's own.
 */
export function unverifiedDescription(header: Claims): string {
  const trusted = 'with the keys of an issuer this service account trusts';
  if (header.kid === undefined) return `the subject token names no key (no 'kid') that verifies ${trusted}`;
  return `the subject token's signature does not verify ${trusted}`;
}

const cut = (value: unknown): string | null => (typeof value === 'string' ? value.slice(0, ECHO_LENGTH) : null);

/** The issued token's name: the policy's, when it was issued, and a few characters of the subject token's id. */
export function issuedTokenName(policyName: string, issuer: string, jti: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const suffix = createHash('sha256').update(`${issuer}\n${jti}`).digest('hex').slice(0, 6);
  return `${policyName}.${stamp}-${suffix}`;
}

/** Whether a policy takes keys from this host: the issuer's own, or one it lists. */
function takesKeysFrom(policy: StoredPolicy, host: string): boolean {
  return new URL(policy.issuer).host === host || policy.jwksHosts.includes(host);
}

type VerifiedClaims = Claims & { iss: string; sub: string; jti: string; exp: number };

/** What one exchange learnt so far: the claims (as presented, until verified), and the policy it is about. */
interface Attempt {
  claims: Claims;
  verified: boolean;
  policy?: StoredPolicy;
  /** The account's incarnation, as the policies trusting the issuer carry it: a recorded refusal goes to its trail. */
  incarnation?: string;
}

/**
 * Verifies the token with the keys of its issuer, which some policy of the account must
 * trust, and returns the policies that take keys from where they came. Only an issuer a
 * policy names is ever contacted: a presented `iss` never makes us fetch a URL of its own.
 */
async function verifyWithTrustedIssuer(
  deps: ExchangeDeps,
  request: ExchangeRequest,
  header: Claims,
  attempt: Attempt,
  now: Date,
): Promise<{ claims: VerifiedClaims; trusting: StoredPolicy[] }> {
  const policies = await deps.policies.list(request.serviceAccountId);
  const issuer = attempt.claims.iss;
  const trusting = policies.filter((candidate) => candidate.pendingSince === undefined && candidate.issuer === issuer);
  if (trusting.length === 0) throw new CheckFailed('issuer', unverifiedDescription(header));
  attempt.incarnation = trusting[0]!.incarnation;
  const jwksHosts = [...new Set(trusting.flatMap((candidate) => candidate.jwksHosts))];
  try {
    const { claims, keysHost } = await deps.verify(request.subjectToken, String(issuer), now, { jwksHosts });
    Object.assign(attempt, { claims, verified: true });
    // The keys came from the issuer's host or one a trusting policy lists: at least one policy remains.
    const verified = claims as VerifiedClaims;
    return { claims: verified, trusting: trusting.filter((candidate) => takesKeysFrom(candidate, keysHost)) };
  } catch (error) {
    attempt.verified = error instanceof CheckFailed && error.afterSignature;
    // A malformed signature reads as every other: an answer of its own would tell that the issuer is trusted.
    if (!attempt.verified) {
      throw error instanceof CheckFailed ? new CheckFailed('signature', unverifiedDescription(header)) : error;
    }
    // Authentic but refused (expired, say): the closest policy is chosen from the token's own claims.
    const preview = choosePolicy(trusting, attempt.claims, now);
    attempt.policy = preview.match ?? preview.closest?.policy;
    throw error;
  }
}

/**
 * Before the signature verifies, a refusal depends on the token alone (its format, its
 * algorithm, then `unverifiedDescription`), is not recorded (anyone can send garbage at
 * the route's rate) and names no policy (the claims are anyone's: a made-up `sub` would
 * choose which policy name is shown). Once it verifies, the claims are the issuer's, and a
 * refusal names the failed check and the closest policy, and is recorded.
 */
export async function exchangeToken(deps: ExchangeDeps, request: ExchangeRequest): Promise<ExchangedToken> {
  const now = deps.clock();
  const attempt: Attempt = { claims: {}, verified: false };
  const details = (extra: Partial<ExchangeDetails> = {}): ExchangeDetails => ({
    policyId: attempt.policy?.policyId ?? null,
    policyName: attempt.policy?.name ?? null,
    issuer: cut(attempt.claims.iss),
    subject: cut(attempt.claims.sub),
    jti: cut(attempt.claims.jti),
    ...extra,
  });
  try {
    const { header, claims: presented } = decodeUnverified(request.subjectToken);
    attempt.claims = presented;
    checkAlgorithm(header);
    const { claims, trusting } = await verifyWithTrustedIssuer(deps, request, header, attempt, now);
    const verdict = choosePolicy(trusting, claims, now);
    attempt.policy = verdict.match ?? verdict.closest?.policy;
    if (!verdict.match) throw new CheckFailed(verdict.closest!.failed.name, verdict.closest!.failed.public);
    const policy = verdict.match;
    const remaining = claims.exp - Math.floor(now.getTime() / 1000);
    const expiresIn = Math.min(request.requestedTtl ?? policy.maxTtlSeconds, policy.maxTtlSeconds, remaining);
    if (expiresIn < 1) throw new CheckFailed('expiry', 'the subject token has no life left to exchange');
    if (!(await deps.replay.claim(claims.iss, claims.jti, claims.exp + 60, now))) {
      throw new CheckFailed(
        'replay',
        `the subject token (jti ${quote(claims.jti)}) was already exchanged; request a new one`,
      );
    }
    return await issue(deps, policy, claims, expiresIn, now, request.meta, details());
  } catch (error) {
    const { verified } = attempt;
    const refusal =
      error instanceof CheckFailed
        ? new ExchangeRefused(
            error.check === 'format' && !verified ? 'invalid_request' : 'invalid_grant',
            verified ? namingPolicy(error.description, attempt.policy) : error.description,
            error.check,
            verified,
          )
        : error;
    const reason =
      refusal instanceof ExchangeRefused
        ? { error: refusal.error, reason: `${refusal.check}: ${refusal.description}`.slice(0, 2 * ECHO_LENGTH) }
        : error instanceof IssuerUnavailableError
          ? { error: 'temporarily_unavailable', reason: 'issuer: its keys could not be read' }
          : undefined;
    if (reason) {
      // In the trail of the incarnation the policies it was weighed against were made for.
      const incarnation = attempt.policy?.incarnation ?? attempt.incarnation;
      if (verified) await recordRefusal(deps, request, now, details(reason), incarnation);
      else deps.onUnrecorded?.({ serviceAccountId: request.serviceAccountId, ...details(reason) });
    }
    throw refusal;
  }
}

async function recordRefusal(
  deps: ExchangeDeps,
  request: ExchangeRequest,
  now: Date,
  exchange: ExchangeDetails,
  incarnation: string | undefined,
): Promise<void> {
  const origin: ChangeOrigin = { actor: { userId: 'federation', authenticatedBy: 'SYSTEM' }, ...request.meta };
  const account = { serviceAccountId: request.serviceAccountId, name: '', incarnation };
  const event = { ...tokenEvent(deps, 'token.exchange_refused', account, origin, {}, now), exchange };
  try {
    await deps.records.refused(event);
  } catch {
    // The refusal stands whether or not its record could be written.
    deps.onUnrecorded?.({ serviceAccountId: request.serviceAccountId, ...exchange });
  }
}

async function issue(
  deps: ExchangeDeps,
  policy: StoredPolicy,
  claims: Claims & { iss: string; sub: string; jti: string },
  expiresIn: number,
  now: Date,
  meta: RequestMeta,
  exchange: ExchangeDetails,
): Promise<ExchangedToken> {
  const minted = deps.ids.mintToken();
  const timestamp = now.toISOString();
  const expiresAt = new Date(now.getTime() + expiresIn * 1000).toISOString();
  const record: TokenRecord = {
    serviceAccountId: policy.serviceAccountId,
    name: issuedTokenName(policy.name, claims.iss, claims.jti, now),
    lookupId: minted.lookupId,
    prefix: minted.prefix,
    status: 'ACTIVE',
    // A policy from before tokens were held to TOKEN_MAX_RPS may have more: its tokens never do.
    maxRps: policy.maxRps === null ? null : Math.min(policy.maxRps, TOKEN_MAX_RPS),
    expiresAt,
    createdAt: timestamp,
    createdBy: claims.sub.slice(0, ECHO_LENGTH),
    updatedAt: timestamp,
    lastUsedAt: null,
    rotatedAt: null,
    rotatedBy: null,
    previousSecret: null,
    federation: { policyId: policy.policyId, policyName: policy.name },
    ...(policy.incarnation === undefined ? {} : { incarnation: policy.incarnation }),
    // The policy's restrictions, as it has them now: its tokens have no others.
    ...restrictionsOf(policy),
  };
  const origin: ChangeOrigin = { actor: { userId: claims.sub.slice(0, ECHO_LENGTH), authenticatedBy: 'JWT' }, ...meta };
  const event = {
    ...tokenEvent(deps, 'token.exchanged', record, origin, fieldChanges(undefined, record), now),
    exchange,
  };
  // Every token of the policy presents the policy's one key, once the key worker made it:
  // they share its maxRps. Until then they present their tier's pooled key.
  const binding =
    policy.apiKeyId === undefined || policy.usageKey === undefined ? undefined : (bindingOf(policy) as TokenBinding);
  // Gone at expiry: DynamoDB TTL may remove it then (the authorizer refuses it from then on regardless).
  const removeAfter = Math.ceil(Date.parse(expiresAt) / 1000);
  await deps.records.issue(
    { record, secretHash: minted.secretHash, removeAfter, ...(binding ? { binding } : {}) },
    policy,
    event,
  );
  return { token: minted.token, expiresIn, view: toTokenView(record, now) };
}
