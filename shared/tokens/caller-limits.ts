import { ProblemError } from '../kernel/errors.js';
import type { Caller, TokenStatus } from '../kernel/model.js';
import { cidrWithin } from '../kernel/networks.js';
import { TOKEN_SCOPES, type TokenScope } from '../kernel/restrictions.js';

/**
 * A caller authenticated by an access token never makes a token worth more than its
 * own: no higher `maxRps` (no limit only if it has none), no later expiry (never
 * expiring only if it never expires itself), no scope it lacks, and no network outside
 * its own (anywhere only if it may call from anywhere). Otherwise a leaked token with a
 * limit, a narrow scope or a network restriction could mint or unlock one without. People
 * (JWT callers) are not bound by this: they are not tokens.
 */
export interface CallerLimits {
  maxRps: number | null;
  expiresAt: string | null;
  /** Absent: every scope. */
  scopes?: TokenScope[];
  /** Absent or null: anywhere. */
  allowedCidrs?: string[] | null;
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
  return {
    maxRps: caller.maxRps ?? null,
    expiresAt: caller.expiresAt ?? null,
    scopes: caller.scopes ?? [...TOKEN_SCOPES],
    allowedCidrs: caller.allowedCidrs ?? null,
  };
}

const NO_LIMIT_IS_MORE = ' (not null: no limit is more)';
const NEVER = ' (not null: never expiring is later)';

/** One measure in which a token is worth more than the caller, with both values. */
export type Excess =
  | { field: 'maxRps'; caller: number; token: number | null }
  | { field: 'expiresAt'; caller: string; token: string | null }
  | { field: 'scopes'; caller: TokenScope[]; token: TokenScope }
  | { field: 'allowedCidrs'; caller: string[]; token: string | null };

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
 * worth no more: a higher `maxRps` (null, no limit, is the most), a later `expiresAt`
 * (null, never, is the latest), a scope the caller lacks (the first, named), or a network
 * outside the caller's (null, anywhere, is outside every restriction; else the first
 * network not within one of the caller's). A measure left out of `token` is not
 * compared. Every rule that bounds a token by its caller goes through here.
 */
export function excessOver(token: Partial<TokenWorth>, caller: CallerLimits): Excess | undefined {
  if (token.maxRps !== undefined && caller.maxRps !== null && rateAbove(token.maxRps, caller.maxRps)) {
    return { field: 'maxRps', caller: caller.maxRps, token: token.maxRps };
  }
  if (token.expiresAt !== undefined && caller.expiresAt !== null && later(token.expiresAt, caller.expiresAt)) {
    return { field: 'expiresAt', caller: caller.expiresAt, token: token.expiresAt };
  }
  const callerScopes = caller.scopes ?? [...TOKEN_SCOPES];
  const missingScope = token.scopes?.find((scope) => !callerScopes.includes(scope));
  if (missingScope !== undefined) return { field: 'scopes', caller: callerScopes, token: missingScope };
  const networks = caller.allowedCidrs ?? null;
  if (token.allowedCidrs !== undefined && networks !== null) {
    const outside = token.allowedCidrs === null ? null : token.allowedCidrs.find((cidr) => !cidrWithin(cidr, networks));
    if (outside !== undefined) return { field: 'allowedCidrs', caller: networks, token: outside };
  }
  return undefined;
}

/** What the caller has of the measure in excess, for a message. */
function callerHas(excess: Excess): string {
  if (excess.field === 'scopes') return excess.caller.length === 0 ? 'no scope' : excess.caller.join(', ');
  if (excess.field === 'allowedCidrs') return excess.caller.join(', ');
  return String(excess.caller);
}

/** Why a token's scopes or networks are more than the caller's, in words. */
function restrictionRule(excess: Extract<Excess, { field: 'scopes' | 'allowedCidrs' }>): string {
  if (excess.field === 'scopes') {
    return `scope ${excess.token} is not one of the calling token's own (${callerHas(excess)})`;
  }
  return excess.token === null
    ? `allowedCidrs must be set, within the calling token's own (${callerHas(excess)}): null (anywhere) is wider`
    : `allowedCidrs ${excess.token} is not within the calling token's own (${callerHas(excess)})`;
}

/** Refuses a token (made, or given a new secret or limit) that would be worth more than the caller's own. */
export function checkWithinCallerLimits(limits: CallerLimits | undefined, wanted: Partial<TokenWorth>): void {
  const excess = limits && excessOver(wanted, limits);
  if (!excess) return;
  const { caller, token } = excess;
  const rule =
    excess.field === 'maxRps'
      ? `maxRps must be at most ${caller}, the calling token's own${token === null ? NO_LIMIT_IS_MORE : ''}`
      : excess.field === 'expiresAt'
        ? `expiresAt must be no later than ${caller}, when the calling token expires${token === null ? NEVER : ''}`
        : restrictionRule(excess);
  throw new ExceedsCallerLimitsError(`A token may give another token at most its own limits: ${rule}.`);
}

/** Whether a change gives a token a scope it lacked or a network outside its own (or takes its restriction off). */
function restrictionsWidened(before: TokenWorth, after: TokenWorth): boolean {
  const had = before.scopes ?? TOKEN_SCOPES;
  if ((after.scopes ?? TOKEN_SCOPES).some((scope) => !had.includes(scope))) return true;
  const networks = before.allowedCidrs ?? null;
  if (networks === null) return false;
  const now = after.allowedCidrs ?? null;
  return now === null || now.some((cidr) => !cidrWithin(cidr, networks));
}

/**
 * Refuses a change that makes a token worth more (a reactivation, a higher limit or none,
 * a scope added, a network added or the restriction taken off) unless the token, as
 * changed, is worth no more than the caller in every measure: otherwise a limited token
 * could bring back a suspended, unlimited, never-expiring sibling (even one that secret
 * scanning has just suspended), or speed up or widen one that outlives it.
 */
export function checkChangeWithinCaller(
  limits: CallerLimits | undefined,
  before: TokenWorth & { status: TokenStatus },
  after: TokenWorth & { status: TokenStatus },
): void {
  const reactivated = before.status !== 'ACTIVE' && after.status === 'ACTIVE';
  const raised = rateAbove(after.maxRps, before.maxRps);
  if (!limits || !(reactivated || raised || restrictionsWidened(before, after))) return;
  const excess = excessOver(after, limits);
  if (!excess) return;
  const expiry = excess.token === null ? 'never expires' : `expires at ${excess.token}`;
  const what =
    excess.field === 'maxRps'
      ? `its maxRps would be ${excess.token ?? 'null (no limit)'}, more than the calling token's ${excess.caller}`
      : excess.field === 'expiresAt'
        ? `it ${expiry}, later than the calling token (${excess.caller})`
        : restrictionRule(excess);
  const change = reactivated ? 'reactivate' : raised ? 'raise the limit of' : 'widen the restrictions of';
  throw new ExceedsCallerLimitsError(`A token may not ${change} a token worth more than itself: ${what}.`);
}
