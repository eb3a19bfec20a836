import type { Principal, TokenBinding, TokenCredential } from '../kernel/model.js';
import type { TokenEvent } from '../kernel/events.js';

/**
 * What authentication reads: a presented token's credential (and records its use), and the
 * caller's principal in the directory. The token store and the directory store implement
 * these; the authorizer and the endpoints' middleware depend on nothing more.
 */

/** A credential as the one read that verifies a token finds it. */
export type PresentedCredential = TokenCredential & Partial<TokenBinding> & { pendingSince?: string };

export interface CredentialStore {
  /** The one strongly consistent read that verifies a presented token. */
  getCredential(lookupId: string): Promise<PresentedCredential | undefined>;
  /**
   * Records use (of the secret, or of the replaced one in its grace period), at most once per interval; never throws.
   */
  recordUse(
    credential: TokenCredential,
    now: Date,
    intervalSeconds: number,
    secret?: 'current' | 'previous',
  ): Promise<boolean>;
  /** Records a use of a replaced secret after its grace period, at most once per interval per token; never throws. */
  recordReuse(credential: TokenCredential, event: TokenEvent, intervalSeconds: number): Promise<boolean>;
  /** Records a call from outside the token's allowed networks, the same way; never throws. */
  recordNetworkRefusal(credential: TokenCredential, event: TokenEvent, intervalSeconds: number): Promise<boolean>;
}

/** Who a call's rate limit belongs to: a token's limit and its own key as stored; no limit and no key for a JWT. */
export interface RateHolder {
  maxRps: number | null;
  /** The token's lookup id (none for a JWT caller). */
  lookupId?: string;
  key: Partial<TokenBinding>;
}

/**
 * Names the API key a call presents: API Gateway throttles by that key's usage plan (in
 * AWS), the local gateway by a bucket of its own (`npm start`). See docs/rate-limiting.md.
 */
export interface UsageKeys {
  keyFor(holder: RateHolder, at: Date): Promise<string>;
}

export interface PrincipalLookup {
  /** A user or service account as the directory has it now. */
  getPrincipal(userId: string): Promise<Principal | undefined>;
  /** A service account as it is, or was, in one of its incarnations (by name, `legacy` included). */
  getIncarnation(accountId: string, incarnation: string): Promise<Principal | undefined>;
}
