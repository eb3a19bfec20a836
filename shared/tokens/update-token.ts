import { ATTEMPTS_ON_CONFLICT, ConcurrentUpdateError, TokenNotFoundError, ValidationError } from '../kernel/errors.js';
import { type ChangeOrigin, fieldChanges, SERVICE_ORIGIN, tokenEvent } from '../kernel/events.js';
import { type TokenStatus, type TokenSuspension, type TokenView, toTokenView } from '../kernel/model.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';
import { type CallerLimits, checkChangeWithinCaller, checkWithinCallerLimits } from './caller-limits.js';
import { type RateLimits, type StoredToken, type TokenChanges, type TokenStore, tokenKeyOwner } from './ports.js';
import type { TokenScope } from '../kernel/restrictions.js';

/** What changing a token uses: its store, the key worker told of a new limit, and who hears of a failed step. */
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
 * Changes a token's status, limit, scopes and/or networks. A new limit goes to the key worker, which moves
 * the token's key to its tier's plan (until then the token presents the tier's pooled
 * key). A status needs nothing of API Gateway: the authorizer refuses a suspended token on
 * its next request, and a reactivated one presents its key, which was never disabled, at
 * once. A token caller may not raise a limit beyond its own (`callerLimits`), nor
 * reactivate or speed up a token worth more than itself. A change that loses a race with
 * another is tried again from a fresh read, a few times, before the client is told (409).
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
 * One attempt, on one read of the token. The write is conditional on the token being as
 * read (`onlyIfUnchanged`): the change was judged, and its place in the capacity taken or
 * given back, on the strength of that read; a concurrent change makes it fail with
 * ConcurrentUpdateError. The key worker is told after the write, which stands whatever
 * happens to the message (reconcile finds a token whose key is out of step).
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
  // A create an earlier version left unfinished: its secret was never handed out.
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
  const write: TokenChanges = {
    status,
    maxRps,
    ...restrictions,
    onlyIfUnchanged: true,
    ...(status === current.status ? {} : { suspension: status === 'SUSPENDED' ? suspension(origin, now) : null }),
  };
  const updated = await deps.tokens.update(current, write, now.toISOString(), event);
  if (newLimit) {
    await deps.rateLimits.keyChanged(tokenKeyOwner(current)).catch((error: unknown) => {
      deps.onCompensationFailure?.(error, `queue the key of token ${current.lookupId}`);
    });
  }
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
