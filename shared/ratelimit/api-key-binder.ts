import type { TokenBinding } from '../store/token-store.js';

/**
 * What the token use cases need from the place that enforces `maxRps` (API Gateway usage
 * plans in AWS). Only tokens with a limit have a key of their own: tokens without one,
 * and JWT callers, share the unthrottled plan's key, which the stack owns.
 *
 * Every method is safe to call again after a failure (a key already gone is deleted,
 * a key already in its plan is added), so a retried request converges.
 */
export interface ApiKeyBinder {
  /**
   * Gives a token a key of its own in the usage plan for `maxRps` (rate N, burst N),
   * creating the plan if this is the first token with that limit. Either the key is
   * usable when this resolves, or nothing was left behind.
   */
  bind(request: KeyRequest): Promise<TokenBinding>;
  /** Enables (active token) or disables (suspended token) its key. */
  setEnabled(binding: TokenBinding, enabled: boolean): Promise<void>;
  /** Deletes a token's key; one that is already gone is not an error. */
  unbind(binding: TokenBinding): Promise<void>;
}

export interface KeyRequest {
  /** The token's lookup id: the key is named after it, never after its secret. */
  lookupId: string;
  maxRps: number;
  enabled: boolean;
}

/**
 * Told when undoing half of a change failed. The request still fails (or succeeds) with
 * its own outcome; what the undo left behind (an orphan key or plan) is for reconcile.
 */
export type CompensationFailureReport = (error: unknown, step: string) => void;
