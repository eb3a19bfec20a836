import { ATTEMPTS_ON_CONFLICT, ConcurrentUpdateError, TokenNotFoundError } from '../kernel/errors.js';
import { type ChangeOrigin, fieldChanges, SERVICE_ORIGIN, tokenEvent } from '../kernel/events.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';
import type { RateLimits, TokenStore } from './ports.js';

/** What deleting a token uses: its store, the rate limiter that holds its key, and who hears of a failed undo. */
export interface DeleteTokenDeps {
  tokens: TokenStore;
  rateLimits: RateLimits;
  clock: Clock;
  ids: IdGenerator;
  onCompensationFailure?: CompensationFailureReport;
}

/**
 * Deletes a token, then its key. A delete that loses a race with a change (a new key
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
  // Table first: if the key's deletion then fails, what is left is a key no token names
  // (harmless, and reconcile deletes it), never a live token without its key. The delete
  // is conditional on the key read here, so the key deleted next is the token's last.
  await deps.tokens.delete(
    current,
    tokenEvent(deps, 'token.deleted', current, origin, fieldChanges(current, undefined)),
  );
  // A federated token presents its policy's key, which the policy's other tokens share.
  const { apiKeyId, usageKey } = current;
  if (current.federation || apiKeyId === undefined || usageKey === undefined) return;
  await deps.rateLimits.unbind({ apiKeyId, usageKey }).catch((error: unknown) => {
    deps.onCompensationFailure?.(error, `delete key ${apiKeyId} of a deleted token`);
  });
}
