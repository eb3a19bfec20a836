/**
 * The table's record of the usage plan for each rate, as the API Gateway adapter needs
 * it: a port, implemented on DynamoDB by `store/rate-plan-records.ts`.
 */

/**
 * A key of the plan's own, made with it: while a token's new key warms up (API Gateway
 * may take seconds to honour a new key), the token presents this one, which is old
 * enough and throttles at the same rate.
 */
export interface BridgeKey {
  keyId: string;
  usageKey: string;
  /** From when API Gateway may be counted on to honour it. */
  readyAt: string;
}

export interface RecordedPlan {
  planId: string;
  bridge?: BridgeKey;
}

export type RatePlanRecord =
  | (RecordedPlan & {
      rps: number;
      state: 'READY';
      /** Since when reconcile has seen the plan without token keys (it deletes the plan after a grace period). */
      emptySince?: string;
    })
  /** A request is creating the plan for this rate (or died doing so). */
  | { rps: number; state: 'CREATING'; claimedAt: string };

export interface RatePlanRecords {
  /** The plan recorded for `rps`, if creation finished. */
  planOf(rps: number): Promise<RecordedPlan | undefined>;
  /** Every record and claim, in one query. */
  all(): Promise<RatePlanRecord[]>;
  /**
   * Claims the creation of the plan for `rps`: true when this caller now holds it, false
   * when a plan is recorded or another live claim holds it. A claim older than
   * `staleBefore` (its holder died) may be taken over.
   */
  claim(rps: number, owner: string, at: Date, staleBefore: Date): Promise<boolean>;
  /** Records the plan made under a claim; false when the claim was lost meanwhile. */
  complete(rps: number, owner: string, plan: RecordedPlan, at: Date): Promise<boolean>;
  /** Gives up a claim (its plan could not be made). */
  release(rps: number, owner: string): Promise<void>;
  /** Points `rps` at a new plan in place of one API Gateway lost (reconcile); false when another did it first. */
  replace(rps: number, missingPlanId: string, plan: RecordedPlan): Promise<boolean>;
  /** Records a new bridge key for the plan (reconcile, when the old one is gone); false when the plan changed. */
  setBridge(rps: number, planId: string, bridge: BridgeKey): Promise<boolean>;
  /** Notes that the plan has no token keys (kept if already noted); clears the note when `since` is null. */
  markEmpty(rps: number, planId: string, since: Date | null): Promise<void>;
  /** Removes the record of a plan empty since `emptySince`; false when it changed meanwhile (a key came). */
  remove(rps: number, planId: string, emptySince: string): Promise<boolean>;
}
