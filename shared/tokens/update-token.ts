import { ATTEMPTS_ON_CONFLICT, ConcurrentUpdateError, TokenNotFoundError, ValidationError } from '../kernel/errors.js';
import { type ChangeOrigin, fieldChanges, SERVICE_ORIGIN, tokenEvent } from '../kernel/events.js';
import { isExpired, type TokenBinding, type TokenStatus, type TokenView, toTokenView } from '../kernel/model.js';
import type { TokenSuspension } from '../kernel/model.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';
import { type CallerLimits, checkChangeWithinCaller, checkWithinCallerLimits } from './caller-limits.js';
import type { RateLimits, StoredToken, TokenChanges, TokenStore } from './ports.js';
import type { TokenScope } from '../kernel/restrictions.js';

/** What changing a token uses: its store, the rate limiter kept in step with it, and who hears of a failed undo. */
export interface UpdateTokenDeps {
  tokens: TokenStore;
  rateLimits: RateLimits;
  clock: Clock;
  ids: IdGenerator;
  onCompensationFailure?: CompensationFailureReport;
}

export interface TokenUpdate {
  status?: TokenStatus;
  maxRps?: number | null;
  /** New scopes, replacing the token's. */
  scopes?: TokenScope[];
  /** New networks, replacing the token's; null: no restriction (refused where networks are required). */
  allowedCidrs?: string[] | null;
}

/**
 * Changes a token's status and/or limit, keeping its rate-limit key in step. A token
 * caller may not raise a limit beyond its own (`callerLimits`), nor reactivate or speed up
 * a token worth more than itself. A change that loses a race with another is tried again
 * from a fresh read, a few times, before the client is told (409).
 */
export async function updateToken(
  deps: UpdateTokenDeps,
  serviceAccountId: string,
  name: string,
  changes: TokenUpdate,
  callerLimits?: CallerLimits,
  origin: ChangeOrigin = SERVICE_ORIGIN,
): Promise<TokenView> {
  const { status: _status, ...wanted } = changes;
  checkWithinCallerLimits(callerLimits, wanted);
  const now = deps.clock();
  for (let attempt = 1; ; attempt++) {
    try {
      const updated = await updateOnce(deps, serviceAccountId, name, changes, callerLimits, origin, now);
      return toTokenView(updated, now);
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= ATTEMPTS_ON_CONFLICT) throw error;
    }
  }
}

/**
 * One attempt, on one read of the token, with the rate limiter in step. The table write
 * is conditional on the token being as read (`onlyIfUnchanged`), because a new key is
 * made on the strength of that read; a concurrent change makes the attempt undo its
 * rate-limit side and fail with ConcurrentUpdateError.
 *
 * A new limit gets a new key rather than moving the old one: API Gateway lets a key be in
 * only one plan per stage, so a move leaves it in none for a moment and the token's calls
 * are refused. The new key is swapped in by the table write (the authorizer reads the key
 * there on every call); the old one is deleted after. A new status is written first and
 * the key follows it (`convergeKey`), so there is nothing to undo if the write fails.
 */
async function updateOnce(
  deps: UpdateTokenDeps,
  serviceAccountId: string,
  name: string,
  changes: TokenUpdate,
  callerLimits: CallerLimits | undefined,
  origin: ChangeOrigin,
  now: Date,
): Promise<StoredToken> {
  const current = await deps.tokens.get(serviceAccountId, name);
  if (!current) throw new TokenNotFoundError();
  // Still being created (its key is on the way): changed once it is done.
  if (current.pendingSince !== undefined) throw new ConcurrentUpdateError();
  const status = changes.status ?? current.status;
  const maxRps = changes.maxRps === undefined ? current.maxRps : changes.maxRps;
  const newLimit = maxRps !== current.maxRps;
  // A federated token's limit is its policy's, shared with the policy's other tokens.
  if (current.federation && newLimit) {
    const policy = current.federation.policyName;
    const message = `is set by the federation policy '${policy}' that issued this token; change the policy instead`;
    throw new ValidationError([{ field: 'maxRps', message }]);
  }
  const ownKey = keyOf(current);
  const enabled = keyEnabled({ status, expiresAt: current.expiresAt }, now);
  const restrictions = {
    ...(changes.scopes === undefined ? {} : { scopes: changes.scopes }),
    ...(changes.allowedCidrs === undefined ? {} : { allowedCidrs: changes.allowedCidrs }),
  };
  const after = { ...current, status, maxRps, ...restrictions };
  // Judged on this read: the write holds only while the token is still as read.
  checkChangeWithinCaller(callerLimits, current, after);
  // Recorded with the write; a request that changes nothing records nothing changed.
  const changed = fieldChanges(current, after);
  const event = tokenEvent(deps, 'token.updated', current, origin, changed, now);
  const next =
    newLimit && maxRps !== null ? await deps.rateLimits.bind({ lookupId: current.lookupId, maxRps, enabled }) : null;
  const write: TokenChanges = {
    status,
    maxRps,
    ...restrictions,
    onlyIfUnchanged: true,
    ...(newLimit ? { binding: next } : {}),
    ...(status === current.status ? {} : { suspension: status === 'SUSPENDED' ? suspension(origin, now) : null }),
  };
  // Once the write is in, the replaced key goes, or the kept one follows the new status.
  const follows = newLimit ? ownKey !== undefined : ownKey !== undefined && status !== current.status;
  let updated: StoredToken;
  try {
    updated = await deps.tokens.update(current, write, now.toISOString(), event);
  } catch (error) {
    // Whether it landed all the same decides: the rate limiter follows the write, or the new key goes.
    const took = (stored: StoredToken) =>
      newLimit ? stored.maxRps === maxRps && stored.apiKeyId === next?.apiKeyId : stored.status === status;
    const landed = (newLimit || follows) && (await writtenAnyway(deps, current, took));
    if (landed && follows) await follow(deps, current, newLimit, now);
    else if (!landed && next) {
      const step = `delete key ${next.apiKeyId} of a limit change that was not stored`;
      await deps.rateLimits.unbind(next).catch((failure: unknown) => deps.onCompensationFailure?.(failure, step));
    }
    throw error;
  }
  if (follows) await follow(deps, current, newLimit, now);
  return updated;
}

/** A suspension by whoever asked: a person, or a token of an account (its name with it). */
function suspension({ actor }: ChangeOrigin, at: Date): TokenSuspension {
  return {
    reason: 'MANUAL',
    at: at.toISOString(),
    by: actor.userId,
    byToken: actor.tokenName ?? null,
    unusedDays: null,
  };
}

/**
 * A token's own key, when it has one. A token without a limit has none: its suspension is
 * enforced by the authorizer alone, as the shared unthrottled key cannot be disabled for
 * one token. Nor has a federated token: it presents its policy's key, shared with the
 * policy's other tokens.
 */
function keyOf(token: StoredToken): TokenBinding | undefined {
  if (token.federation || token.apiKeyId === undefined || token.usageKey === undefined) return undefined;
  return { apiKeyId: token.apiKeyId, usageKey: token.usageKey };
}

/** A token's own key is enabled exactly while the token may be used. */
function keyEnabled(token: Pick<StoredToken, 'status' | 'expiresAt'>, now: Date): boolean {
  return token.status === 'ACTIVE' && !isExpired(token.expiresAt, now);
}

/**
 * After a failed table write: whether it took effect all the same (DynamoDB may commit a
 * transaction and still answer with an error). Undoing the rate-limit side of a write
 * that went through would leave a token without its key, so when the answer cannot be
 * read either, the write counts as done: at worst a key is left over, for reconcile.
 */
async function writtenAnyway(
  deps: UpdateTokenDeps,
  token: StoredToken,
  took: (stored: StoredToken) => boolean,
): Promise<boolean> {
  try {
    const stored = await deps.tokens.get(token.serviceAccountId, token.name);
    return stored !== undefined && stored.lookupId === token.lookupId && took(stored);
  } catch {
    return true;
  }
}

/**
 * The rate limiter after a write to a token with a key of its own: the key a new limit
 * replaced is deleted, or the kept key follows the new status. A failure is reported, not
 * thrown: the request keeps its outcome, and reconcile repairs what is left.
 */
async function follow(deps: UpdateTokenDeps, token: StoredToken, newLimit: boolean, now: Date): Promise<void> {
  const key = keyOf(token);
  if (!newLimit || !key) return convergeKey(deps, token, now);
  const step = `delete key ${key.apiKeyId} replaced by a limit change`;
  await deps.rateLimits.unbind(key).catch((error: unknown) => deps.onCompensationFailure?.(error, step));
}

/** Passes before a key still changing under concurrent writes is left to those writers and to reconcile. */
const CONVERGE_PASSES = 3;

/**
 * Sets the token's key to match the token as stored now, after a status write.
 * Concurrent writers may set the key in any order: each re-reads the token after setting
 * it and goes again if the token changed meanwhile, so the pass of the last writer ends
 * with the key matching the last write. A key that cannot be set leaves the token's own
 * status in force (the authorizer refuses a suspended token on every call) and is
 * reported for reconcile; the request keeps its outcome.
 */
async function convergeKey(deps: UpdateTokenDeps, token: StoredToken, now: Date): Promise<void> {
  let failure: unknown;
  for (let pass = 0; pass < CONVERGE_PASSES; pass++) {
    try {
      const seen = await deps.tokens.get(token.serviceAccountId, token.name);
      const key = seen && seen.lookupId === token.lookupId ? keyOf(seen) : undefined;
      if (!seen || !key) return;
      await deps.rateLimits.setEnabled(key, keyEnabled(seen, now));
      const check = await deps.tokens.get(token.serviceAccountId, token.name);
      const same =
        check?.lookupId === seen.lookupId && check.status === seen.status && check.apiKeyId === seen.apiKeyId;
      if (!check || same) return;
      failure = undefined;
    } catch (error) {
      failure = error;
    }
  }
  if (failure !== undefined)
    deps.onCompensationFailure?.(failure, `set the enabled state of the key of token ${token.lookupId}`);
}
