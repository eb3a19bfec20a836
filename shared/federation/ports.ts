import type { NewToken } from '../tokens/ports.js';
import type { Claims } from './checks.js';
import type { StoredPolicy } from './policy.js';
import type { TokenEvent } from '../kernel/events.js';

/**
 * The ports of federation: its policies, the memory of used subject tokens, issuing
 * tokens, and verifying a subject token with its issuer's keys.
 */

/** Persistence of federation policies. Every write is conditional. */
export interface PolicyStore {
  /**
   * Adds a policy while the account is a service account and has fewer than `limit`
   * policies, with its event; throws PolicyLimitReachedError or ServiceAccountNotFoundError.
   * A policy with a limit takes a place in the deployment's capacity in the same write, or
   * is refused (RateLimitCapacityReachedError).
   */
  create(policy: StoredPolicy, limit: number, event: TokenEvent): Promise<void>;
  /** Every policy of an account (at most the limit), by id. */
  list(accountId: string): Promise<StoredPolicy[]>;
  get(accountId: string, policyId: string): Promise<StoredPolicy | undefined>;
  /**
   * Removes a policy read just before, with its event (none for a create an earlier
   * version left pending), if its key is still the one read; throws PolicyNotFoundError if
   * it went meanwhile, ConcurrentUpdateError if the key worker bound its key meanwhile.
   */
  delete(policy: StoredPolicy, event?: TokenEvent): Promise<void>;
}

/** Remembers each subject token's `jti` until the token expires, so that it is used once. */
export interface ReplayGuard {
  /** True for the first use; false when this issuer's `jti` was used before and has not expired. Race-free. */
  claim(issuer: string, jti: string, expiresAtSeconds: number, now: Date): Promise<boolean>;
  /** Whether it was used (a read only: the policy test remembers nothing). */
  used(issuer: string, jti: string, now: Date): Promise<boolean>;
}

/** Stores what an exchange issues, and what it refuses. */
export interface ExchangeRecords {
  /**
   * Stores an issued token under its account, with its event, while the account is a
   * service account and the policy still exists with the key read: a policy deleted
   * meanwhile issues nothing. Not counted in the account's token limit.
   */
  issue(token: NewToken, policy: StoredPolicy, event: TokenEvent): Promise<void>;
  /** Records a refused exchange (its own write: no token changed). */
  refused(event: TokenEvent): Promise<void>;
}

export interface VerifiedSubjectToken {
  claims: Claims & { iss: string; sub: string; jti: string; exp: number; iat: number };
  /** The host the issuer's keys came from (its discovery document's `jwks_uri`). */
  keysHost: string;
}

export interface VerifyOptions {
  /** Hosts besides the issuer's own that may serve its keys (the policies' `jwksHosts`). */
  jwksHosts?: readonly string[];
}

/** Verifies a subject token's signature (with its issuer's published keys), algorithm, expiry and required claims. */
export type SubjectTokenVerifier = (
  jwt: string,
  issuer: string,
  now: Date,
  options?: VerifyOptions,
) => Promise<VerifiedSubjectToken>;
