/** What reconcile can find out of step between the table and API Gateway. */
export type DriftKind =
  /** A key of ours that no token is bound to (a deleted or TTL-removed token, a failed undo). */
  | 'orphan-key'
  /** A token with a limit whose key does not exist. */
  | 'missing-key'
  /** A token without a limit still bound to a key of its own. */
  | 'unneeded-key'
  /** A token's key that is not (only) in the plan for its limit. */
  | 'wrong-plan'
  /** A key enabled for a suspended or expired token, or disabled for an active one. */
  | 'wrong-enabled'
  /** A recorded plan that API Gateway no longer has. */
  | 'missing-plan'
  /** A recorded plan without a working bridge key (none made, deleted, moved or disabled out of band). */
  | 'missing-bridge-key'
  /** A plan whose throttle or stage is not rate N, burst N on this stage. */
  | 'wrong-plan-settings'
  /** A plan of ours that no rate is recorded with (a creation whose answer was lost, a claim taken over). */
  | 'orphan-plan'
  /**
   * A recorded plan that has had no keys for the grace period: deleted, so that passing rates do not use up the
   * account's plans.
   */
  | 'empty-plan'
  /** A token whose create stopped between claiming its name and getting its key: its secret was never handed out. */
  | 'abandoned-create';

export interface Drift {
  kind: DriftKind;
  /** What drifted: a token (lookup id, account and name), a key id or a plan id; never a key value. */
  subject: string;
  detail: string;
  /** Set when repairs were applied: whether this one worked. */
  repaired?: boolean;
  /** The error name when a repair failed. */
  error?: string;
}
