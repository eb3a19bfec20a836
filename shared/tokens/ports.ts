import type { TokenEvent } from '../kernel/events.js';
import type { TokenScope } from '../kernel/restrictions.js';
import type { PreviousSecret, TokenBinding, TokenRecord, TokenStatus, TokenSuspension } from '../kernel/model.js';

/**
 * The token aggregate's ports: its store, the rotation of its secret, and the rate limiter
 * that keeps a key per token. On DynamoDB, `token-store.ts` is the store and
 * `credential-store.ts` the rotation (with authentication's `CredentialStore`);
 * `ratelimit/` is the limiter.
 */

/** A token as stored: its record, the binding when it has a key of its own, and whether its key is still to come. */
export type StoredToken = TokenRecord & Partial<TokenBinding> & { pendingSince?: string };

export interface NewToken {
  record: TokenRecord;
  secretHash: string;
  /** Epoch seconds after which DynamoDB TTL may remove the token (expiry + retention). */
  removeAfter: number | null;
  /** The token's own rate-limit key, when it has one. */
  binding?: TokenBinding;
  /**
   * Stored before its key exists (a token with a limit): the name and the account's limit
   * are claimed first, so a refused create makes no key or plan; `completePending` adds
   * the key. Until then the token cannot be used.
   */
  pendingSince?: string;
}

export interface TokenChanges {
  status?: TokenStatus;
  maxRps?: number | null;
  scopes?: TokenScope[];
  allowedCidrs?: string[] | null;
  /**
   * A new key binding, or null to remove it. Written only if the stored binding is still
   * the one `current` was read with, so two concurrent changes cannot both swap keys.
   */
  binding?: TokenBinding | null;
  /**
   * Write only if the token is still as `current` was read (its `updatedAt`, which every
   * change moves, and its key): the rate limiter was changed, and the caller's limits
   * judged, on the strength of that read, and a concurrent change in between would leave
   * them wrong. A lost race is a ConcurrentUpdateError.
   */
  onlyIfUnchanged?: boolean;
  /** Why it is suspended, on the token item (the authorizer needs only the status); null: removed. */
  suspension?: TokenSuspension | null;
}

/** A rotation: the new secret's hash, and the old one's grace period. */
export interface Rotation {
  secretHash: string;
  previous: PreviousSecret;
  rotatedAt: string;
  rotatedBy: string;
  /** End a grace period still running; otherwise a running one makes the rotation fail (RotationInProgressError). */
  force: boolean;
  /**
   * When the request arrived. A rotation made after that (by a request in flight at the
   * same time) makes this one fail with ConcurrentUpdateError: of rotations sent at once,
   * one hands out a secret, and the grace period it gave the old one is kept.
   */
  requestedAt: string;
}

export interface TokenPage {
  tokens: TokenRecord[];
  /** Name of the last token returned when more follow. */
  lastName: string | undefined;
}

/** Persistence of tokens. Every write is conditional, so concurrent requests cannot break the rules. */
export interface TokenStore {
  /**
   * Adds a token, only while its account is a service account of the directory that is
   * not retiring; throws TokenNameTakenError, TokenLimitReachedError or
   * ServiceAccountNotFoundError. So a token never outlives its account's membership.
   */
  create(token: NewToken, limit: number, event?: TokenEvent): Promise<void>;
  /** Gives a pending token its key and makes it usable; false when it is gone or changed meanwhile. */
  completePending(token: StoredToken, binding: TokenBinding, event?: TokenEvent): Promise<boolean>;
  list(accountId: string, limit: number, afterName?: string): Promise<TokenPage>;
  get(accountId: string, name: string): Promise<StoredToken | undefined>;
  /** Applies changes to a token read just before (its lookup id guards against a swap). */
  update(current: StoredToken, changes: TokenChanges, updatedAt: string, event?: TokenEvent): Promise<StoredToken>;
  /** Removes a token read just before; throws TokenNotFoundError if it went meanwhile. */
  delete(current: StoredToken, event?: TokenEvent): Promise<void>;
  /** Recounts an account's stored tokens and corrects its counter if it drifted (TTL removals). */
  reconcileCount(accountId: string): Promise<boolean>;
  /** Every stored token of every account (an operator's pass: reconcile). */
  all(): AsyncIterable<StoredToken>;
}

/** A token's new secret, on the credential authentication reads (`auth/ports.ts`). */
export interface SecretRotation {
  /**
   * Gives a token read just before a new secret, keeping the old one for its grace
   * period; throws RotationInProgressError while an earlier grace period runs (unless
   * forced), TokenNotFoundError if the token went, ConcurrentUpdateError if another
   * rotation landed since the request arrived or the secret was read.
   */
  rotate(current: StoredToken, rotation: Rotation, event: TokenEvent): Promise<StoredToken>;
  /**
   * Ends at `at` the grace period of the secret the last rotation replaced, read just
   * before with the token (`current.previousSecret`), leaving the current secret alone;
   * throws ConcurrentUpdateError if a rotation or another end landed since, and
   * TokenNotFoundError if the token went.
   */
  endGracePeriod(current: StoredToken, at: string, event: TokenEvent): Promise<StoredToken>;
}

export interface KeyRequest {
  /** The token's lookup id: the key is named after it, never after its secret. */
  lookupId: string;
  maxRps: number;
  enabled: boolean;
}

/**
 * Where `maxRps` is enforced: API Gateway usage plans in AWS, a token bucket per key in
 * the local gateway. Only tokens with a limit have a key of their own; tokens without
 * one, and JWT callers, share one unthrottled key.
 *
 * Every method is safe to call again after a failure (a key already gone is deleted, a
 * key already in its plan is added), so a retried request converges.
 */
export interface RateLimits {
  /**
   * Gives a token a key of its own, limited to `maxRps` (rate N, burst N). Either the key
   * is usable when this resolves, or nothing was left behind.
   */
  bind(request: KeyRequest): Promise<TokenBinding>;
  /** Enables (active token) or disables (suspended token) its key. */
  setEnabled(binding: TokenBinding, enabled: boolean): Promise<void>;
  /** Deletes a token's key; one that is already gone is not an error. */
  unbind(binding: TokenBinding): Promise<void>;
  /** The usage key of callers without a key of their own (JWT callers, unlimited tokens). */
  sharedUsageKey(): Promise<string>;
}
