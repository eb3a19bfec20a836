import { ATTEMPTS_ON_CONFLICT, ConcurrentUpdateError, TokenNotFoundError } from '../kernel/errors.js';
import { type ChangeOrigin, fieldChanges, SERVICE_ORIGIN, tokenEvent } from '../kernel/events.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';
import { type RateLimits, type TokenStore, tokenKeyOwner } from './ports.js';

/** What deleting a token uses: its store, the key worker that deletes its key, and who hears of a failed step. */
export interface DeleteTokenDeps {
  tokens: TokenStore;
  rateLimits: RateLimits;
  clock: Clock;
  ids: IdGenerator;
  onCompensationFailure?: CompensationFailureReport;
}

/**
 * Deletes a token; the key worker deletes its key. A delete that loses a race with a change (a new key
 * swapped in) is tried again from a fresh read, a few times, before the client is told.
 */
export async function deleteToken(
  deps: DeleteTokenDeps,
  serviceAccountId: string,
  name: string,
  origin: ChangeOrigin = SERVICE_ORIGIN,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deleteOnce(deps, serviceAccountId, name, origin);
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= ATTEMPTS_ON_CONFLICT) throw error;
    }
  }
}

async function deleteOnce(deps: DeleteTokenDeps, serviceAccountId: string, name: string, origin: ChangeOrigin) {
  const current = await deps.tokens.get(serviceAccountId, name);
  if (!current) throw new TokenNotFoundError();
  // Table first: the token is refused from its next request, whatever becomes of its key.
  // The delete is conditional on the key read here, so the key the worker deletes is the
  // token's last; one it never deletes (the message lost) is an orphan reconcile finds.
  await deps.tokens.delete(
    current,
    tokenEvent(deps, 'token.deleted', current, origin, fieldChanges(current, undefined)),
  );
  // A federated token presents its policy's key, which the policy's other tokens share.
  const { apiKeyId } = current;
  if (current.federation || apiKeyId === undefined) return;
  await deps.rateLimits.keyChanged(tokenKeyOwner(current), apiKeyId).catch((error: unknown) => {
    deps.onCompensationFailure?.(error, `queue the deletion of key ${apiKeyId} of a deleted token`);
  });
}
