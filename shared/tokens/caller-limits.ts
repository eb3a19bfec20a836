import { ProblemError } from '../kernel/errors.js';
import type { Caller, TokenStatus } from '../kernel/model.js';

/**
 * A caller authenticated by an access token never makes a token worth more than its
 * own: no higher `maxRps` (no limit only if it has none) and no later expiry (never
 * expiring only if it never expires itself). Otherwise a leaked token with a limit could
 * mint or unlock an unlimited, everlasting one. People (JWT callers) are not bound by
 * this: they are not tokens.
 */
export interface CallerLimits {
  maxRps: number | null;
  expiresAt: string | null;
}

/** What a token is worth to whoever holds it: the same measures as the caller's limits. */
export type TokenWorth = CallerLimits;

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

const NO_LIMIT_IS_MORE = ' (not null: no limit is more)';
const NEVER = ' (not null: never expiring is later)';

/** One measure in which a token is worth more than the caller, with both values. */
export type Excess =
  | { field: 'maxRps'; caller: number; token: number | null }
  | { field: 'expiresAt'; caller: string; token: string | null };

/** An expiry after another: null (never) is after every time. */
function later(expiresAt: string | null, other: string): boolean {
  return expiresAt === null || Date.parse(expiresAt) > Date.parse(other);
}

/** A rate above another: null (no limit) is above every number. */
function rateAbove(rate: number | null, other: number | null): boolean {
  return other !== null && (rate === null || rate > other);
}

/**
 * The first measure in which `token` is worth more than `caller`, or undefined when it is
 * worth no more: a higher `maxRps` (null, no limit, is the most) or a later `expiresAt`
 * (null, never, is the latest). A measure left out of `token` is not compared. Every
 * rule that bounds a token by its caller goes through here, so a new measure (scopes,
 * networks) is one more comparison in one place.
 */
export function excessOver(token: Partial<TokenWorth>, caller: CallerLimits): Excess | undefined {
  if (token.maxRps !== undefined && caller.maxRps !== null && rateAbove(token.maxRps, caller.maxRps)) {
    return { field: 'maxRps', caller: caller.maxRps, token: token.maxRps };
  }
  if (token.expiresAt !== undefined && caller.expiresAt !== null && later(token.expiresAt, caller.expiresAt)) {
    return { field: 'expiresAt', caller: caller.expiresAt, token: token.expiresAt };
  }
  return undefined;
}

/** Refuses a token (made, or given a new secret or limit) that would be worth more than the caller's own. */
export function checkWithinCallerLimits(limits: CallerLimits | undefined, wanted: Partial<TokenWorth>): void {
  const excess = limits && excessOver(wanted, limits);
  if (!excess) return;
  const { caller, token } = excess;
  const rule =
    excess.field === 'maxRps'
      ? `maxRps must be at most ${caller}, the calling token's own${token === null ? NO_LIMIT_IS_MORE : ''}`
      : `expiresAt must be no later than ${caller}, when the calling token expires${token === null ? NEVER : ''}`;
  throw new ExceedsCallerLimitsError(`A token may give another token at most its own limits: ${rule}.`);
}

/**
 * Refuses a change that makes a token worth more (a reactivation, or a higher limit or
 * none) unless the token, as changed, is worth no more than the caller in every measure:
 * otherwise a limited token could bring back a suspended, unlimited, never-expiring
 * sibling (even one that secret scanning has just suspended), or speed up one that
 * outlives it.
 */
export function checkChangeWithinCaller(
  limits: CallerLimits | undefined,
  before: TokenWorth & { status: TokenStatus },
  after: TokenWorth & { status: TokenStatus },
): void {
  const reactivated = before.status !== 'ACTIVE' && after.status === 'ACTIVE';
  if (!limits || !(reactivated || rateAbove(after.maxRps, before.maxRps))) return;
  const excess = excessOver(after, limits);
  if (!excess) return;
  const expiry = excess.token === null ? 'never expires' : `expires at ${excess.token}`;
  const what =
    excess.field === 'maxRps'
      ? `its maxRps would be ${excess.token ?? 'null (no limit)'}, more than the calling token's ${excess.caller}`
      : `it ${expiry}, later than the calling token (${excess.caller})`;
  const change = reactivated ? 'reactivate' : 'raise the limit of';
  throw new ExceedsCallerLimitsError(`A token may not ${change} a token worth more than itself: ${what}.`);
}
