import { ConcurrentUpdateError, TokenNotFoundError, ValidationError } from '../kernel/errors.js';
import type { ChangeOrigin, TokenStatus, TokenView } from '../kernel/model.js';
import { toTokenView } from '../kernel/model.js';
import { type CallerLimits, checkChangeWithinCaller, checkWithinCallerLimits } from './caller-limits.js';
import type { StoredToken, TokenChanges } from './ports.js';
import { bestEffort, keyOwner, retryOnConflict, type TokenServiceDeps } from './deps.js';
import { fieldChanges, SERVICE_ORIGIN, tokenEvent } from '../kernel/events.js';

export interface TokenUpdate {
  status?: TokenStatus;
  maxRps?: number | null;
}

/**
 * Changes a token's status and/or limit; a new limit goes to the key worker, which moves
 * the token's key to its tier's plan (until then the token presents the tier's pooled
 * key). A status needs nothing of API Gateway: the authorizer refuses a suspended token
 * on its next request, and a reactivated one presents its key, never disabled, at once. A token
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
    // A create an earlier version left unfinished: its secret was never handed out.
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
 * One attempt at a change. The write is conditional on the token being as read
 * (`onlyIfUnchanged`): the change was judged, and its place in the capacity taken or
 * given back, on the strength of that read; a concurrent change makes it fail with
 * ConcurrentUpdateError, and the caller tries again from a fresh read.
 */
async function updateInStep(
  deps: TokenServiceDeps,
  current: StoredToken,
  effective: TokenChanges,
  now: Date,
  origin: ChangeOrigin,
): Promise<StoredToken> {
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
  const updated = await deps.tokens.update(current, { ...effective, onlyIfUnchanged: true }, now.toISOString(), event);
  // A federated token's key is its policy's.
  if (maxRps !== current.maxRps && !current.federation) {
    await bestEffort(deps, `queue the key of token ${current.lookupId}`, () =>
      deps.rateLimits.keyChanged(keyOwner(current)),
    );
  }
  return updated;
}
