import { ConcurrentUpdateError, TokenExpiredError, TokenNotFoundError } from '../kernel/errors.js';
import { type ChangeOrigin, SERVICE_ORIGIN, tokenEvent } from '../kernel/events.js';
import { isExpired, type PreviousSecret, stillValid, type TokenView, toTokenView } from '../kernel/model.js';
import type { Clock, IdGenerator } from '../kernel/ports.js';
import { DEFAULT_GRACE_SECONDS } from '../kernel/replaced-secrets.js';
import { type CallerLimits, checkWithinCallerLimits } from './caller-limits.js';
import type { SecretRotation, TokenStore } from './ports.js';

/** What a rotation uses: the token as stored, and its credential, where the new secret goes. */
export interface RotateTokenDeps {
  tokens: Pick<TokenStore, 'get'>;
  credentials: SecretRotation;
  clock: Clock;
  ids: IdGenerator;
}

export interface RotateTokenInput {
  serviceAccountId: string;
  name: string;
  /** How long the old secret keeps working; 0 ends it at once. @default 86400 */
  gracePeriodSeconds?: number;
  /** End a grace period still running instead of refusing (ROTATION_IN_PROGRESS). */
  force?: boolean;
  /** When the request arrived (see `Rotation.requestedAt`); now, when no request asked. */
  requestedAt?: string;
  callerLimits?: CallerLimits;
  origin?: ChangeOrigin;
}

export interface RotatedToken {
  view: TokenView;
  /** The whole new token. Returned once; never stored, never logged. */
  token: string;
}

/**
 * Gives a token a new secret and keeps the old one working for a grace period, so that
 * every job can move to the new secret before the old one stops. The token keeps its
 * name, limits, expiry, creator and rate-limit key (its rate is not reset). Both secrets
 * are checked by the one read the authorizer already makes: they share the lookup id.
 *
 * A token caller may not rotate a token with more than it has itself: the new secret
 * would hand it those limits.
 *
 * A rotation that loses a race with another (one landed since the request arrived) is not
 * tried again (409 CONCURRENT_UPDATE): it would replace the secret the winner handed out.
 */
export async function rotateToken(deps: RotateTokenDeps, input: RotateTokenInput): Promise<RotatedToken> {
  const origin = input.origin ?? SERVICE_ORIGIN;
  const now = deps.clock();
  const current = await deps.tokens.get(input.serviceAccountId, input.name);
  if (!current) throw new TokenNotFoundError();
  if (current.pendingSince !== undefined) throw new ConcurrentUpdateError();
  if (isExpired(current.expiresAt, now)) throw new TokenExpiredError();
  const { maxRps, expiresAt, scopes, allowedCidrs } = current;
  checkWithinCallerLimits(input.callerLimits, { maxRps, expiresAt, scopes, allowedCidrs });
  // The grace period never outlasts the token.
  let validUntil = now.getTime() + (input.gracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
  if (current.expiresAt !== null) validUntil = Math.min(validUntil, Date.parse(current.expiresAt));
  const previous: PreviousSecret = { validUntil: new Date(validUntil).toISOString(), lastUsedAt: null };
  const minted = deps.ids.mintSecret(current.lookupId);
  const rotatedAt = now.toISOString();
  const before = current.previousSecret && stillValid(current.previousSecret, now) ? current.previousSecret : null;
  const event = tokenEvent(
    deps,
    'token.rotated',
    current,
    origin,
    {
      rotatedAt: { before: current.rotatedAt, after: rotatedAt },
      previousSecretValidUntil: {
        before: before?.validUntil ?? null,
        after: stillValid(previous, now) ? previous.validUntil : null,
      },
    },
    now,
  );
  const rotated = await deps.credentials.rotate(
    current,
    {
      secretHash: minted.secretHash,
      previous,
      rotatedAt,
      rotatedBy: origin.actor.userId,
      force: input.force === true,
      requestedAt: input.requestedAt ?? rotatedAt,
    },
    event,
  );
  return { view: toTokenView(rotated, now), token: minted.token };
}
