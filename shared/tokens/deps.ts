import { ConcurrentUpdateError } from '../kernel/errors.js';
import { isExpired, type TokenRecord } from '../kernel/model.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';
import type { RateLimits, StoredToken, TokenStore } from './ports.js';
import type { TokenBinding } from '../kernel/model.js';
import type { TokenParts } from './ports.js';

/** What the token use cases need: their ports and the rules they apply. */
export interface TokenServiceDeps {
  tokens: TokenStore;
  /** Keeps the rate limiter's keys in step with the tokens. */
  rateLimits: RateLimits;
  clock: Clock;
  ids: IdGenerator;
  policy: TokenPolicy;
  /** Told when undoing half of a change failed; reconcile repairs what it left. */
  onCompensationFailure?: CompensationFailureReport;
}

export interface TokenPolicy {
  limitPerAccount: number;
  maxLifetimeDays: number;
  retentionDays: number;
}

/** The use cases' ports and rules, from the parts. */
export function tokenServiceDeps(parts: TokenParts): TokenServiceDeps {
  const { tokens, rateLimits, clock, ids, onCompensationFailure, config } = parts;
  const policy = {
    limitPerAccount: config.tokens.limitPerAccount,
    maxLifetimeDays: config.tokens.maxLifetimeDays,
    retentionDays: config.tokens.retentionDays,
  };
  return { tokens, rateLimits, clock, ids, onCompensationFailure, policy };
}

/**
 * Runs an undo or clean-up step whose failure must not replace the request's outcome:
 * the failure is reported, and reconcile removes what the step left behind.
 */
export async function bestEffort(deps: TokenServiceDeps, step: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    deps.onCompensationFailure?.(error, step);
  }
}

/**
 * After a failed table write: whether it took effect all the same (DynamoDB may commit a
 * transaction and still answer with an error). Undoing the rate-limit side of a write
 * that went through would leave a token without its key, so when the answer cannot be
 * read either, the write counts as done: at worst a key is left over, for reconcile.
 */
export async function writtenAnyway(
  deps: TokenServiceDeps,
  token: TokenRecord,
  took: (stored: StoredToken) => boolean,
): Promise<boolean> {
  try {
    const stored = await deps.tokens.get(token.serviceAccountId, token.name);
    return stored !== undefined && stored.lookupId === token.lookupId && took(stored);
  } catch {
    return true;
  }
}

export function boundKey(token: Partial<TokenBinding>): TokenBinding | undefined {
  return token.apiKeyId !== undefined && token.usageKey !== undefined
    ? { apiKeyId: token.apiKeyId, usageKey: token.usageKey }
    : undefined;
}

/** A token's own key is enabled exactly while the token may be used. */
export function keyEnabled(token: Pick<TokenRecord, 'status' | 'expiresAt'>, now: Date): boolean {
  return token.status === 'ACTIVE' && !isExpired(token.expiresAt, now);
}

/** Attempts before a concurrent change is reported to the client as a 409. */
const ATTEMPTS_ON_CONFLICT = 3;

export async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || i >= ATTEMPTS_ON_CONFLICT) throw error;
    }
  }
}
