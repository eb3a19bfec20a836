import { ConcurrentUpdateError } from '../kernel/errors.js';
import type { TokenRecord } from '../kernel/model.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';
import type { KeyOwner, RateLimits, TokenStore } from './ports.js';
import type { TokenParts } from './ports.js';

/** What the token use cases need: their ports and the rules they apply. */
export interface TokenServiceDeps {
  tokens: TokenStore;
  /** Tells the key worker which tokens' keys to bring in step. */
  rateLimits: RateLimits;
  clock: Clock;
  ids: IdGenerator;
  policy: TokenPolicy;
  /** Told when a step after a write failed (undo, or telling the key worker); reconcile repairs what it left. */
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

/** A token as the owner of its API key. */
export const keyOwner = (token: Pick<TokenRecord, 'serviceAccountId' | 'name' | 'lookupId'>): KeyOwner => ({
  kind: 'token',
  serviceAccountId: token.serviceAccountId,
  name: token.name,
  lookupId: token.lookupId,
});

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
