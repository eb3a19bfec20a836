import type { GatewayPlan } from './api-gateway-keys.js';
import type { ApiGatewayRateLimits } from './aws-rate-limits.js';
import type { RatePlanRecord } from './plan-records.js';
import type { Drift } from './reconcile.js';

/** Records a finding and, when repairs are applied, runs its repair. */
export type Found = (entry: Drift, repair: () => Promise<void>) => Promise<void>;

export interface PlanPassOptions {
  now: Date;
  /** Claims younger than this are live: their plan may exist without its record yet. */
  claimTimeoutMs: number;
  /** A plan with no keys for this long is deleted (its rate gets a new one when needed). */
  emptyPlanGraceMs: number;
  apply: boolean;
}

/**
 * The plans' side of reconcile, before the tokens' side: every recorded plan exists with
 * its settings (rate N, burst N, on this stage). Returns the plan of each rate.
 */
export async function checkRecordedPlans(
  limits: ApiGatewayRateLimits,
  plans: GatewayPlan[],
  records: RatePlanRecord[],
  found: Found,
): Promise<Map<number, string>> {
  const { keys: gateway, plans: registry } = limits;
  const stageId = `${gateway.stage.restApiId}:${gateway.stage.stage}`;
  const plansById = new Map(plans.map((plan) => [plan.id, plan]));
  const planOfRate = new Map<number, string>();
  for (const record of records) {
    if (record.state !== 'READY') continue;
    const plan = plansById.get(record.planId);
    if (!plan) {
      await found({ kind: 'missing-plan', subject: `rate ${record.rps}`, detail: `recorded plan ${record.planId} is not in API Gateway` }, async () => {
        planOfRate.set(record.rps, await registry.replace(record.rps, record.planId));
      });
      continue;
    }
    planOfRate.set(record.rps, record.planId);
    if (plan.rateLimit !== record.rps || plan.burstLimit !== record.rps || !plan.stages.includes(stageId)) {
      await found(
        {
          kind: 'wrong-plan-settings',
          subject: `plan ${plan.id}`,
          detail: `rate ${plan.rateLimit ?? 'none'}, burst ${plan.burstLimit ?? 'none'}, stages [${plan.stages.join(', ')}]; want rate and burst ${record.rps} on ${stageId}`,
        },
        () => gateway.restorePlan(plan, record.rps),
      );
    }
  }
  return planOfRate;
}

/**
 * The plans' side of reconcile, after the tokens' side has moved every key where it
 * belongs: plans no record names (a creation whose answer was lost, a claim taken over)
 * are deleted unless a live claim may be about to record them; plans without keys for
 * the grace period are deleted, so that passing rates do not use up the account's plans.
 */
export async function removeUnneededPlans(
  limits: ApiGatewayRateLimits,
  plans: GatewayPlan[],
  records: RatePlanRecord[],
  planOfRate: Map<number, string>,
  found: Found,
  options: PlanPassOptions,
): Promise<void> {
  const { keys: gateway, plans: registry } = limits;
  const recordedIds = new Set([...records.flatMap((record) => (record.state === 'READY' ? [record.planId] : [])), ...planOfRate.values()]);
  const liveClaims = new Set(
    records.filter((record) => record.state === 'CREATING' && options.now.getTime() - Date.parse(record.claimedAt) < options.claimTimeoutMs).map((record) => record.rps),
  );
  const deletePlan = async (planId: string) => {
    for (const keyId of await gateway.planKeyIds(planId)) await gateway.removeFromPlan(planId, keyId);
    await registry.discard(planId);
  };
  for (const plan of plans) {
    if (recordedIds.has(plan.id) || plan.rps === undefined || liveClaims.has(plan.rps)) continue;
    await found({ kind: 'orphan-plan', subject: `plan ${plan.id}`, detail: `${plan.name} is not the recorded plan for rate ${plan.rps}` }, () => deletePlan(plan.id));
  }

  for (const record of records) {
    if (record.state !== 'READY' || !plans.some((plan) => plan.id === record.planId)) continue;
    const keyCount = (await gateway.planKeyIds(record.planId)).length;
    if (keyCount > 0) {
      if (record.emptySince !== undefined && options.apply) await registry.records.markEmpty(record.rps, record.planId, null);
      continue;
    }
    if (record.emptySince === undefined) {
      // First seen empty: noted, and deleted only if it stays so for the grace period.
      if (options.apply) await registry.records.markEmpty(record.rps, record.planId, options.now);
      continue;
    }
    if (options.now.getTime() - Date.parse(record.emptySince) < options.emptyPlanGraceMs) continue;
    const emptySince = record.emptySince;
    await found(
      { kind: 'empty-plan', subject: `plan ${record.planId}`, detail: `the plan for rate ${record.rps} has had no keys since ${emptySince}` },
      async () => {
        // Record first: a request that needs the rate from now on claims and creates a new
        // plan, and a container that cached this one finds it gone and asks again.
        if (!(await registry.records.remove(record.rps, record.planId, emptySince))) return;
        registry.forget(record.rps);
        await deletePlan(record.planId);
      },
    );
  }
}
