import { ProblemError } from '../errors.js';
import type { Caller } from '../model.js';

/**
 * A caller authenticated by an access token never makes a token worth more than its
 * own: no higher `maxRps` (no limit only if it has none itself) and no later expiry
 * (never expiring only if it never expires itself). Otherwise a leaked token with a
 * limit could mint or unlock an unlimited, everlasting one. People (JWT callers) are not
 * bound by this: they are not tokens.
 */
export interface CallerLimits {
  maxRps: number | null;
  expiresAt: string | null;
}

export class ExceedsCallerLimitsError extends ProblemError {
  constructor(detail: string) {
    super(403, 'TOKEN_EXCEEDS_CALLER', 'Beyond the calling token’s own limits', detail);
  }
}

/** The limits a caller passes on to the tokens it makes or changes; undefined for people. */
export function limitsOf(caller: Caller): CallerLimits | undefined {
  if (caller.authenticatedBy !== 'ACCESS_TOKEN') return undefined;
  return { maxRps: caller.maxRps ?? null, expiresAt: caller.expiresAt ?? null };
}

/** Refuses a token change that would give more than the caller's own token has. */
export function checkWithinCallerLimits(limits: CallerLimits | undefined, wanted: { maxRps?: number | null; expiresAt?: string | null }): void {
  if (!limits) return;
  if (wanted.maxRps !== undefined && limits.maxRps !== null && (wanted.maxRps === null || wanted.maxRps > limits.maxRps)) {
    throw new ExceedsCallerLimitsError(
      `A token may give another token at most its own limits: maxRps must be at most ${limits.maxRps}, the calling token's own${wanted.maxRps === null ? ' (not null: no limit is more)' : ''}.`,
    );
  }
  if (wanted.expiresAt !== undefined && limits.expiresAt !== null && (wanted.expiresAt === null || Date.parse(wanted.expiresAt) > Date.parse(limits.expiresAt))) {
    throw new ExceedsCallerLimitsError(
      `A token may give another token at most its own limits: expiresAt must be no later than ${limits.expiresAt}, when the calling token expires${wanted.expiresAt === null ? ' (not null: never expiring is later)' : ''}.`,
    );
  }
}
