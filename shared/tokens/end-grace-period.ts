import { ConcurrentUpdateError, NoGracePeriodError, TokenNotFoundError } from '../kernel/errors.js';
import { type ChangeOrigin, SERVICE_ORIGIN, tokenEvent } from '../kernel/events.js';
import { stillValid, type TokenView, toTokenView } from '../kernel/model.js';
import type { Clock, IdGenerator } from '../kernel/ports.js';
import type { SecretRotation, TokenStore } from './ports.js';

/** What ending a grace period uses: the token as stored, and its credential, where the replaced secret is kept. */
export interface EndGracePeriodDeps {
  tokens: Pick<TokenStore, 'get'>;
  credentials: Pick<SecretRotation, 'endGracePeriod'>;
  clock: Clock;
  ids: IdGenerator;
}

/**
 * Ends now the grace period of the secret the last rotation replaced, for when that secret
 * may have leaked: from the next request it is refused, while the current secret (the one
 * jobs moved to) keeps working. Rotating again could only end it by replacing the current
 * secret too.
 *
 * It takes nothing from the token but the replaced secret, so a token caller needs no more
 * than the permission (no limits to compare, as for a suspension); the replaced secret
 * itself cannot end its own grace period, as it cannot change anything. A rotation or
 * another end that lands meanwhile makes this one fail (409 CONCURRENT_UPDATE) rather than
 * end a grace period the caller did not see.
 */
export async function endGracePeriod(
  deps: EndGracePeriodDeps,
  serviceAccountId: string,
  name: string,
  origin: ChangeOrigin = SERVICE_ORIGIN,
): Promise<TokenView> {
  const now = deps.clock();
  const current = await deps.tokens.get(serviceAccountId, name);
  if (!current) throw new TokenNotFoundError();
  if (current.pendingSince !== undefined) throw new ConcurrentUpdateError();
  const previous = current.previousSecret;
  if (!previous || !stillValid(previous, now)) throw new NoGracePeriodError();
  const at = now.toISOString();
  const changes = { previousSecretValidUntil: { before: previous.validUntil, after: at } };
  const event = tokenEvent(deps, 'token.grace_period_ended', current, origin, changes, now);
  return toTokenView(await deps.credentials.endGracePeriod(current, at, event), now);
}
