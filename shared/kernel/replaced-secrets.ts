import { type RetiredSecret, stillValid, type TokenCredential, type TokenSecret } from './model.js';
import { secretMatcher } from './token-format.js';

/**
 * The secrets a token's rotations replaced. The one the last rotation replaced works for
 * its grace period; after that, and every older one, is only recognised: a use is refused
 * like any bad credential and recorded, so an owner learns that something (a forgotten
 * job, or whoever holds a leaked secret) still presents it. Each is recognised for 90
 * days after it stopped working, and only the last 10 are: the credential item the
 * authorizer reads on every call stays small (each is a 43-character hash and a date).
 */
export const RETIRED_SECRET_WATCH_DAYS = 90;
/** The replaced secrets a token keeps, the previous one included. */
export const REPLACED_SECRETS_KEPT = 10;
/** The longest grace period a rotation may give the old secret: a week. */
export const MAX_GRACE_SECONDS = 604_800;
/** The grace period of a rotation that names none: a day. */
export const DEFAULT_GRACE_SECONDS = 86_400;

const DAY_MS = 86_400_000;

/** Which secret was presented: a live one, one retired (recognised, refused), or none of the token's. */
export type PresentedSecret = { secret: TokenSecret } | { retiredAt: string } | undefined;

function watched(retiredAt: string, now: Date): PresentedSecret {
  return Date.parse(retiredAt) + RETIRED_SECRET_WATCH_DAYS * DAY_MS > now.getTime() ? { retiredAt } : undefined;
}

/**
 * Compares a presented secret with the credential's, each in constant time. The current
 * and previous hashes are always both compared; the retired ones only when neither
 * matched, so a call with a live secret costs no more than before.
 */
export function presentedSecret(credential: TokenCredential, secret: string, now: Date): PresentedSecret {
  const { previousSecretHash, previousSecret } = credential;
  const matches = secretMatcher(secret);
  const isCurrent = matches(credential.secretHash);
  const isPrevious = previousSecretHash !== undefined && matches(previousSecretHash);
  if (isCurrent) return { secret: 'current' };
  if (isPrevious && previousSecret) {
    return stillValid(previousSecret, now) ? { secret: 'previous' } : watched(previousSecret.validUntil, now);
  }
  const retired = (credential.retiredSecrets ?? []).find((entry) => matches(entry.hash));
  return retired ? watched(retired.retiredAt, now) : undefined;
}

/**
 * The retired secrets after a rotation at `rotatedAt`: the secret that was previous joins
 * them (its grace period ends now if it was still running: the rotation was forced), newest
 * first; those no longer watched, and any beyond the number kept, are dropped.
 */
export function retiredAfterRotation(credential: TokenCredential, rotatedAt: string): RetiredSecret[] {
  const { previousSecretHash: hash, previousSecret: previous } = credential;
  const joining: RetiredSecret[] =
    hash !== undefined && previous !== undefined
      ? [{ hash, retiredAt: previous.validUntil < rotatedAt ? previous.validUntil : rotatedAt }]
      : [];
  const at = new Date(rotatedAt);
  return (
    [...joining, ...(credential.retiredSecrets ?? [])]
      .filter((entry) => watched(entry.retiredAt, at) !== undefined)
      // The new previous secret (the one this rotation replaces) is one of those kept.
      .slice(0, REPLACED_SECRETS_KEPT - 1)
  );
}
