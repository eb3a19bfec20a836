import type { TokenEvent } from '../kernel/events.js';
import type { TokenScope } from '../kernel/restrictions.js';
import type { PreviousSecret, TokenBinding, TokenRecord, TokenStatus, TokenSuspension } from '../kernel/model.js';

/**
 * The token aggregate's ports: its store, the rotation of its secret, and the rate limiter
 * that keeps a key per token. On DynamoDB, `token-store.ts` is the store and
 * `credential-store.ts` the rotation (with authentication's `CredentialStore`);
 * `ratelimit/` is the limiter.
 */

/**
 * A token as stored: its record, its own API key when the key worker has made it, the
 * capacity shard it takes a place in (a token with a limit), and `pendingSince` on a
 * create an earlier version left unfinished.
 */
export type StoredToken = TokenRecord & Partial<TokenBinding> & { pendingSince?: string; capacityShard?: number };

export interface NewToken {
  record: TokenRecord;
  secretHash: string;
  /** Epoch seconds after which DynamoDB TTL may remove the token (expiry + retention). */
  removeAfter: number | null;
  /** The key it presents from the start (a federated token: its policy's). */
  binding?: TokenBinding;
}

export interface TokenChanges {
  status?: TokenStatus;
  maxRps?: number | null;
  scopes?: TokenScope[];
  allowedCidrs?: string[] | null;
  /**
   * Write only if the token is still as `current` was read: its status and maxRps on both
   * items, and on the token item its `updatedAt`, which every change moves. The change was
   * judged (the caller's limits, scopes and networks included), and its place in the
   * capacity count taken or given back, on the strength of that read. A lost race is a
   * ConcurrentUpdateError.
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
   * ServiceAccountNotFoundError. So a token never outlives its account's membership. A
   * token with a limit takes a place in the deployment's capacity in the same write, or
   * is refused (RateLimitCapacityReachedError).
   */
  create(token: NewToken, limit: number, event?: TokenEvent): Promise<void>;
  list(accountId: string, limit: number, afterName?: string): Promise<TokenPage>;
  get(accountId: string, name: string): Promise<StoredToken | undefined>;
  /**
   * Applies changes to a token read just before (its lookup id guards against a swap); a
   * limit set or removed takes or gives back its place in the capacity (RateLimitCapacityReachedError).
   */
  update(current: StoredToken, changes: TokenChanges, updatedAt: string, event?: TokenEvent): Promise<StoredToken>;
  /** Removes a token read just before; throws TokenNotFoundError if it went meanwhile. */
  delete(current: StoredToken, event?: TokenEvent): Promise<void>;
  /** Recounts an account's stored tokens and corrects its counter if it drifted (TTL removals). */
  reconcileCount(accountId: string): Promise<boolean>;
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

/** Whose API key: a token (its items) or a federation policy (whose tokens share its key). */
export type KeyOwner =
  | { kind: 'token'; serviceAccountId: string; name: string; lookupId: string }
  | { kind: 'policy'; serviceAccountId: string; policyId: string };

/** A token as the owner of its API key. */
export const tokenKeyOwner = (token: Pick<TokenRecord, 'serviceAccountId' | 'name' | 'lookupId'>): KeyOwner => ({
  kind: 'token',
  serviceAccountId: token.serviceAccountId,
  name: token.name,
  lookupId: token.lookupId,
});

/**
 * Where `maxRps` is enforced: API Gateway usage plans in AWS, a token bucket per key in
 * the local gateway. A token or policy with a limit gets a key of its own from the key
 * worker, which makes, moves and deletes keys at a pace API Gateway's quotas allow; until
 * its key is ready the token presents its rate tier's pooled key (docs/rate-limiting.md).
 */
export interface RateLimits {
  /**
   * Tells the key worker that `owner`'s key must follow it as now stored: called after
   * the write, which stands whatever happens here (reconcile finds an owner out of step).
   * `deletedKeyId`: the key an owner just deleted had.
   */
  keyChanged(owner: KeyOwner, deletedKeyId?: string): Promise<void>;
}
