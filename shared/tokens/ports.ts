import type { CredentialStore } from '../auth/ports.js';
import type { Config } from '../kernel/config.js';
import type { PreviousSecret, TokenBinding, TokenEvent, TokenRecord, TokenStatus } from '../kernel/model.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';

/**
 * The token aggregate's ports: its store, and the rate limiter that keeps a key per token.
 * `token-store.ts` implements the store on DynamoDB; `ratelimit/` implements the limiter.
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
  /**
   * Write only if the token's status and maxRps are still those `current` was read with:
   * the change was judged, and its place in the capacity count taken or given back, on
   * the strength of that read. A lost race is a ConcurrentUpdateError.
   */
  onlyIfUnchanged?: boolean;
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
export interface TokenStore extends CredentialStore {
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
  /**
   * Gives a token read just before a new secret, keeping the old one for its grace
   * period; throws RotationInProgressError while an earlier grace period runs (unless
   * forced), TokenNotFoundError if the token went, ConcurrentUpdateError if another
   * rotation landed since the request arrived or the secret was read.
   */
  rotate(current: StoredToken, rotation: Rotation, event: TokenEvent): Promise<StoredToken>;
  /** Recounts an account's stored tokens and corrects its counter if it drifted (TTL removals). */
  reconcileCount(accountId: string): Promise<boolean>;
}

/** Whose API key: a token (its items) or a federation policy (whose tokens share its key). */
export type KeyOwner =
  | { kind: 'token'; serviceAccountId: string; name: string; lookupId: string }
  | { kind: 'policy'; serviceAccountId: string; policyId: string };

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

/** What the token endpoints and use cases are built from: the store, the limiter, and the settings they apply. */
export interface TokenParts {
  tokens: TokenStore;
  rateLimits: RateLimits;
  clock: Clock;
  ids: IdGenerator;
  onCompensationFailure?: CompensationFailureReport;
  config: Pick<Config, 'tokens'>;
}
