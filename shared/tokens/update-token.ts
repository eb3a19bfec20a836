import { ConcurrentUpdateError, TokenNotFoundError, ValidationError } from '../kernel/errors.js';
import type { TokenStatus, TokenView } from '../kernel/model.js';
import { toTokenView } from '../kernel/model.js';
import { type CallerLimits, checkChangeWithinCaller, checkWithinCallerLimits } from './caller-limits.js';
import type { StoredToken, TokenChanges } from './ports.js';
import { bestEffort, boundKey, keyEnabled, retryOnConflict, type TokenServiceDeps, writtenAnyway } from './deps.js';
import { fieldChanges, SERVICE_ORIGIN, tokenEvent, type ChangeOrigin } from '../kernel/events.js';

export interface TokenUpdate {
  status?: TokenStatus;
  maxRps?: number | null;
}

/**
 * Changes a token's status and/or limit, keeping its rate-limit key in step. A token
 * caller may not raise a limit beyond its own (`callerLimits`), nor reactivate or speed up
 * a token worth more than itself.
 */
export async function updateToken(
  deps: TokenServiceDeps,
  serviceAccountId: string,
  name: string,
  changes: TokenUpdate,
  callerLimits?: CallerLimits,
  origin: ChangeOrigin = SERVICE_ORIGIN,
): Promise<TokenView> {
  checkWithinCallerLimits(callerLimits, { ...(changes.maxRps === undefined ? {} : { maxRps: changes.maxRps }) });
  const now = deps.clock();
  const effective: TokenChanges = {};
  if (changes.status !== undefined) effective.status = changes.status;
  if (changes.maxRps !== undefined) effective.maxRps = changes.maxRps;
  const updated = await retryOnConflict(async () => {
    const current = await deps.tokens.get(serviceAccountId, name);
    if (!current) throw new TokenNotFoundError();
    // Still being created (its key is on the way): changed once it is done.
    if (current.pendingSince !== undefined) throw new ConcurrentUpdateError();
    // A federated token's limit is its policy's, shared with the policy's other tokens.
    if (current.federation && effective.maxRps !== undefined && effective.maxRps !== current.maxRps) {
      throw new ValidationError([
        {
          field: 'maxRps',
          message:
            `is set by the federation policy '${current.federation.policyName}' that issued this token; change the ` +
            `policy instead`,
        },
      ]);
    }
    // Judged on this read: the write holds only while status and limit are still as read.
    const maxRps = effective.maxRps === undefined ? current.maxRps : effective.maxRps;
    const after = { status: effective.status ?? current.status, maxRps, expiresAt: current.expiresAt };
    checkChangeWithinCaller(callerLimits, current, after);
    return updateInStep(deps, current, effective, now, origin);
  });
  return toTokenView(updated, now);
}

/**
 * One attempt at a change with the rate limiter in step. The table write is conditional
 * on the token being as read (`onlyIfUnchanged`), because a new key is made on the
 * strength of that read; a concurrent change makes the attempt undo its rate-limit side
 * and fail with ConcurrentUpdateError, and the caller tries again from a fresh read.
 */
async function updateInStep(
  deps: TokenServiceDeps,
  current: StoredToken,
  effective: TokenChanges,
  now: Date,
  origin: ChangeOrigin,
): Promise<StoredToken> {
  const updatedAt = now.toISOString();
  const bound = boundKey(current);
  const status = effective.status ?? current.status;
  const maxRps = effective.maxRps === undefined ? current.maxRps : effective.maxRps;
  // Recorded with the write; a request that changes nothing records nothing changed.
  const event = tokenEvent(
    deps,
    'token.updated',
    current,
    origin,
    fieldChanges(current, { ...current, status, maxRps }),
    now,
  );
  const guarded: TokenChanges = { ...effective, onlyIfUnchanged: true };
  if (maxRps !== current.maxRps) {
    // A new limit gets a new key rather than moving the old one: API Gateway lets a key be
    // in only one plan per stage, so a move leaves it in none for a moment and the token's
    // calls are refused. The new key is swapped in by the table write (the authorizer reads
    // the key there on every call); the old one is deleted after.
    const enabled = keyEnabled({ status, expiresAt: current.expiresAt }, now);
    const next = maxRps === null ? null : await deps.rateLimits.bind({ lookupId: current.lookupId, maxRps, enabled });
    const deleteOld = async () => {
      if (bound)
        await bestEffort(deps, `delete key ${bound.apiKeyId} replaced by a limit change`, () =>
          deps.rateLimits.unbind(bound),
        );
    };
    let updated: StoredToken;
    try {
      updated = await deps.tokens.update(current, { ...guarded, binding: next }, updatedAt, event);
    } catch (error) {
      if (
        await writtenAnyway(deps, current, (stored) => stored.maxRps === maxRps && stored.apiKeyId === next?.apiKeyId)
      ) {
        await deleteOld();
      } else if (next) {
        await bestEffort(deps, `delete key ${next.apiKeyId} of a limit change that was not stored`, () =>
          deps.rateLimits.unbind(next),
        );
      }
      throw error;
    }
    await deleteOld();
    return updated;
  }
  let updated: StoredToken;
  try {
    updated = await deps.tokens.update(current, guarded, updatedAt, event);
  } catch (error) {
    if (
      bound &&
      !current.federation &&
      status !== current.status &&
      (await writtenAnyway(deps, current, (stored) => stored.status === status))
    ) {
      await convergeKey(deps, current, now);
    }
    throw error;
  }
  // A token without a limit has no key of its own: its suspension is enforced by the
  // authorizer alone, as the shared unthrottled key cannot be disabled for one token. So is
  // a federated token's: its key is its policy's, shared with the policy's other tokens.
  if (bound && !current.federation && status !== current.status) await convergeKey(deps, current, now);
  return updated;
}

/** Passes before a key still changing under concurrent writes is left to those writers and to reconcile. */
const CONVERGE_PASSES = 3;

/**
 * Sets the token's key to match the token as stored now, after a status write. The table
 * write comes first and the key follows, so there is nothing to undo if the write fails.
 * Concurrent writers may set the key in any order: each re-reads the token after setting
 * it and goes again if the token changed meanwhile, so the pass of the last writer ends
 * with the key matching the last write. A key that cannot be set leaves the token's own
 * status in force (the authorizer refuses a suspended token on every call) and is
 * reported for reconcile; the request keeps its outcome.
 */
async function convergeKey(deps: TokenServiceDeps, token: StoredToken, now: Date): Promise<void> {
  let failure: unknown;
  for (let pass = 0; pass < CONVERGE_PASSES; pass++) {
    try {
      const seen = await deps.tokens.get(token.serviceAccountId, token.name);
      const key = seen && seen.lookupId === token.lookupId ? boundKey(seen) : undefined;
      if (!seen || !key) return;
      await deps.rateLimits.setEnabled(key, keyEnabled(seen, now));
      const check = await deps.tokens.get(token.serviceAccountId, token.name);
      if (
        !check ||
        (check.lookupId === seen.lookupId && check.status === seen.status && check.apiKeyId === seen.apiKeyId)
      )
        return;
      failure = undefined;
    } catch (error) {
      failure = error;
    }
  }
  if (failure !== undefined)
    await bestEffort(deps, `set the enabled state of the key of token ${token.lookupId}`, () =>
      Promise.reject(failure),
    );
}
