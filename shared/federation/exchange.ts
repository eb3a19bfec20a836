import { createHash } from 'node:crypto';
import type { RequestMeta } from '../http/request-origin.js';
import { type ChangeOrigin, type ExchangeDetails, type TokenRecord, type TokenView, toTokenView } from '../model.js';
import type { Clock, IdGenerator } from '../ports.js';
import { fieldChanges, tokenEvent } from '../tokens/events.js';
import { choosePolicy } from './checks.js';
import type { StoredPolicy } from './policy.js';
import type { ExchangeRecords, PolicyStore, ReplayGuard } from './ports.js';
import { CheckFailed, checkAlgorithm, type Claims, decodeUnverified, ECHO_LENGTH, IssuerUnavailableError, quote, type SubjectTokenVerifier } from './subject-token.js';

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
  /** Told of refusals no event can record (an account without policies). */
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
  ) {
    super(description);
  }
}

/** A refusal's description, naming the closest policy when it does not already. */
function namingPolicy(description: string, policy: StoredPolicy | undefined): string {
  return policy && !description.includes(`'${policy.name}'`) ? `${description} (closest policy: '${policy.name}')` : description;
}

const cut = (value: unknown): string | null => (typeof value === 'string' ? value.slice(0, ECHO_LENGTH) : null);

/** The issued token's name: the policy's, when it was issued, and a few characters of the subject token's id. */
export function issuedTokenName(policyName: string, issuer: string, jti: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const suffix = createHash('sha256').update(`${issuer}\n${jti}`).digest('hex').slice(0, 6);
  return `${policyName}.${stamp}-${suffix}`;
}

export async function exchangeToken(deps: ExchangeDeps, request: ExchangeRequest): Promise<ExchangedToken> {
  const now = deps.clock();
  let unverified: Claims = {};
  let policy: StoredPolicy | undefined;
  let recordable = false;
  // The account's incarnation, as its policies carry it: a refusal goes to its trail.
  let incarnation: string | undefined;
  const details = (extra: Partial<ExchangeDetails> = {}): ExchangeDetails => ({
    policyId: policy?.policyId ?? null,
    policyName: policy?.name ?? null,
    issuer: cut(unverified.iss),
    subject: cut(unverified.sub),
    jti: cut(unverified.jti),
    ...extra,
  });
  try {
    const decoded = decodeUnverified(request.subjectToken);
    unverified = decoded.claims;
    const policies = (await deps.policies.list(request.serviceAccountId)).filter((candidate) => candidate.pendingSince === undefined);
    if (policies.length === 0) {
      // Whether the account exists is not told: the same answer either way.
      throw new ExchangeRefused('invalid_grant', `service account ${quote(request.serviceAccountId)} has no federation policy`, 'policy');
    }
    recordable = true;
    incarnation = policies[0]!.incarnation;
    // Only an issuer some policy trusts is ever contacted: a presented `iss` chooses among
    // the policies' issuers, it never makes us fetch a URL of its own.
    const trusting = policies.filter((candidate) => candidate.issuer === unverified.iss);
    // The closest policy by the claims as presented, named by a refusal before verification.
    const preview = choosePolicy(trusting.length > 0 ? trusting : policies, unverified, now);
    policy = preview.match ?? preview.closest?.policy;
    checkAlgorithm(decoded.header);
    if (trusting.length === 0) {
      throw new CheckFailed('issuer', `issuer ${quote(unverified.iss ?? '(missing)')} is trusted by no federation policy of this service account`);
    }
    const { claims } = await deps.verify(request.subjectToken, String(unverified.iss), now);
    unverified = claims;
    const verdict = choosePolicy(trusting, claims, now);
    if (!verdict.match) {
      policy = verdict.closest!.policy;
      throw new CheckFailed(verdict.closest!.failed.name, verdict.closest!.failed.public);
    }
    policy = verdict.match;
    const remaining = claims.exp - Math.floor(now.getTime() / 1000);
    const expiresIn = Math.min(request.requestedTtl ?? policy.maxTtlSeconds, policy.maxTtlSeconds, remaining);
    if (expiresIn < 1) throw new CheckFailed('expiry', 'the subject token has no life left to exchange');
    if (!(await deps.replay.claim(claims.iss, claims.jti, claims.exp + 60, now))) {
      throw new CheckFailed('replay', `the subject token (jti ${quote(claims.jti)}) was already exchanged; request a new one`);
    }
    return await issue(deps, policy, claims, expiresIn, now, request.meta, details());
  } catch (error) {
    const refusal =
      error instanceof CheckFailed
        ? new ExchangeRefused(error.check === 'format' ? 'invalid_request' : 'invalid_grant', namingPolicy(error.description, policy), error.check)
        : error;
    const reason = refusal instanceof ExchangeRefused ? { error: refusal.error, reason: `${refusal.check}: ${refusal.description}`.slice(0, 2 * ECHO_LENGTH) } : error instanceof IssuerUnavailableError ? { error: 'temporarily_unavailable', reason: 'issuer: its keys could not be read' } : undefined;
    if (reason) {
      if (recordable) await recordRefusal(deps, request, now, details(reason), incarnation);
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

async function issue(deps: ExchangeDeps, policy: StoredPolicy, claims: Claims & { iss: string; sub: string; jti: string }, expiresIn: number, now: Date, meta: RequestMeta, exchange: ExchangeDetails): Promise<ExchangedToken> {
  const minted = deps.ids.mintToken();
  const timestamp = now.toISOString();
  const expiresAt = new Date(now.getTime() + expiresIn * 1000).toISOString();
  const record: TokenRecord = {
    serviceAccountId: policy.serviceAccountId,
    name: issuedTokenName(policy.name, claims.iss, claims.jti, now),
    lookupId: minted.lookupId,
    prefix: minted.prefix,
    status: 'ACTIVE',
    maxRps: policy.maxRps,
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
  };
  const origin: ChangeOrigin = { actor: { userId: claims.sub.slice(0, ECHO_LENGTH), authenticatedBy: 'JWT' }, ...meta };
  const event = { ...tokenEvent(deps, 'token.exchanged', record, origin, fieldChanges(undefined, record), now), exchange };
  // Every token of the policy presents the policy's one key: they share its maxRps.
  const binding = policy.apiKeyId !== undefined && policy.usageKey !== undefined
    ? { apiKeyId: policy.apiKeyId, usageKey: policy.usageKey, ...(policy.keyReadyAt ? { keyReadyAt: policy.keyReadyAt } : {}), ...(policy.fallbackUsageKey ? { fallbackUsageKey: policy.fallbackUsageKey } : {}) }
    : undefined;
  // Gone at expiry: DynamoDB TTL may remove it then (the authorizer refuses it from then on regardless).
  const removeAfter = Math.ceil(Date.parse(expiresAt) / 1000);
  await deps.records.issue({ record, secretHash: minted.secretHash, removeAfter, ...(binding ? { binding } : {}) }, policy, event);
  return { token: minted.token, expiresIn, view: toTokenView(record, now) };
}
