import { type GatewayKey, GatewayInventory, type GatewayPlan } from './api-gateway-inventory.js';
import type { ApiGatewayRateLimits } from './aws-rate-limits.js';
import { PlanRepairs } from './plan-repairs.js';
import type { RatePlanRegistry } from './rate-plans.js';
import type { RatePlanRecord } from './plan-records.js';
import type { Drift } from './drift.js';

/** Records a finding and, when repairs are applied, runs its repair. */
export type Found = (entry: Drift, repair: () => Promise<void>) => Promise<void>;

/** What reconcile works with: the request path's plan registry, and its own listing and repairs. */
export interface ReconcileParts {
  registry: RatePlanRegistry;
  inventory: GatewayInventory;
  repairs: PlanRepairs;
}

export function reconcileParts(limits: ApiGatewayRateLimits): ReconcileParts {
  const { gateway, stage, names, plans: registry } = limits;
  return {
    registry,
    inventory: new GatewayInventory({ gateway, stage, names }),
    repairs: new PlanRepairs({ gateway, stage, registry }),
  };
}

/** What reconcile read from API Gateway and the table at its start. */
export interface ReconcileState {
  keys: GatewayKey[];
  plans: GatewayPlan[];
  /** The plans each key is in. */
  plansOfKey: Map<string, string[]>;
  records: RatePlanRecord[];
}

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
  { inventory, repairs }: ReconcileParts,
  { keys, plans, records }: ReconcileState,
  found: Found,
): Promise<Map<number, string>> {
  const stageId = `${inventory.stage.restApiId}:${inventory.stage.stage}`;
  const plansById = new Map(plans.map((plan) => [plan.id, plan]));
  const keyIds = new Set(keys.map((key) => key.id));
  const planOfRate = new Map<number, string>();
  for (const record of records) {
    if (record.state !== 'READY') continue;
    const plan = plansById.get(record.planId);
    if (!plan) {
      await found(
        {
          kind: 'missing-plan',
          subject: `rate ${record.rps}`,
          detail: `recorded plan ${record.planId} is not in API Gateway`,
        },
        async () => {
          planOfRate.set(record.rps, await repairs.replace(record.rps, record.planId));
          // The new plan came with its own bridge: the old one would be left bound to nothing.
          if (record.bridge && keyIds.has(record.bridge.keyId)) await inventory.deleteKey(record.bridge.keyId);
        },
      );
      continue;
    }
    planOfRate.set(record.rps, record.planId);
    if (plan.rateLimit !== record.rps || plan.burstLimit !== record.rps || !plan.stages.includes(stageId)) {
      await found(
        {
          kind: 'wrong-plan-settings',
          subject: `plan ${plan.id}`,
          detail:
            `rate ${plan.rateLimit ?? 'none'}, burst ${plan.burstLimit ?? 'none'}, stages ` +
            `[${plan.stages.join(', ')}]; want rate and burst ${record.rps} on ${stageId}`,
        },
        () => inventory.restorePlan(plan, record.rps),
      );
    }
  }
  return planOfRate;
}

/**
 * Every recorded plan has its bridge key: existing, enabled, and in that plan alone.
 * Returns the bridge keys' ids (bound to their records, so never orphans).
 */
export async function checkBridgeKeys(
  { inventory, repairs }: ReconcileParts,
  { keys, plans, plansOfKey, records }: ReconcileState,
  found: Found,
): Promise<Set<string>> {
  const keysById = new Map(keys.map((key) => [key.id, key]));
  const bound = new Set<string>();
  for (const record of records) {
    if (record.state !== 'READY') continue;
    // A missing plan's bridge is bound too: its repair (`checkRecordedPlans`) deletes it.
    if (record.bridge) bound.add(record.bridge.keyId);
    if (!plans.some((plan) => plan.id === record.planId)) continue;
    const bridge = record.bridge && keysById.get(record.bridge.keyId);
    const subject = `plan ${record.planId}`;
    if (!bridge) {
      const detail = record.bridge
        ? `its bridge key ${record.bridge.keyId} does not exist`
        : 'the plan has no bridge key';
      await found({ kind: 'missing-bridge-key', subject, detail }, () =>
        repairs.renewBridge(record.rps, record.planId),
      );
      continue;
    }
    const current = plansOfKey.get(bridge.id) ?? [];
    if (current.length !== 1 || current[0] !== record.planId || !bridge.enabled) {
      await found(
        {
          kind: 'missing-bridge-key',
          subject,
          detail: `bridge key ${bridge.id} is ${bridge.enabled ? 'enabled' : 'disabled'} in [${current.join(', ')}]`,
        },
        async () => {
          for (const planId of current) if (planId !== record.planId) await inventory.removeFromPlan(planId, bridge.id);
          if (!current.includes(record.planId)) await inventory.addToPlan(record.planId, bridge.id);
          if (!bridge.enabled) await inventory.setKeyEnabled(bridge.id, true);
        },
      );
    }
  }
  return bound;
}

/**
 * The plans' side of reconcile, after the tokens' side has moved every key where it
 * belongs: plans no record names (a creation whose answer was lost, a claim taken over)
 * are deleted unless a live claim may be about to record them; plans without keys for
 * the grace period are deleted, so that passing rates do not use up the account's plans.
 */
export async function removeUnneededPlans(
  { inventory, registry, repairs }: ReconcileParts,
  { plans, records }: ReconcileState,
  planOfRate: Map<number, string>,
  found: Found,
  options: PlanPassOptions,
): Promise<void> {
  const recordedIds = new Set([
    ...records.flatMap((record) => (record.state === 'READY' ? [record.planId] : [])),
    ...planOfRate.values(),
  ]);
  const liveClaims = new Set(
    records
      .filter(
        (record) =>
          record.state === 'CREATING' && options.now.getTime() - Date.parse(record.claimedAt) < options.claimTimeoutMs,
      )
      .map((record) => record.rps),
  );
  const deletePlan = async (planId: string, bridgeKeyId?: string) => {
    for (const keyId of await inventory.planKeyIds(planId)) await inventory.removeFromPlan(planId, keyId);
    await repairs.discard(planId);
    if (bridgeKeyId !== undefined) await inventory.deleteKey(bridgeKeyId);
  };
  for (const plan of plans) {
    if (recordedIds.has(plan.id) || plan.rps === undefined || liveClaims.has(plan.rps)) continue;
    await found(
      {
        kind: 'orphan-plan',
        subject: `plan ${plan.id}`,
        detail: `${plan.name} is not the recorded plan for rate ${plan.rps}`,
      },
      () => deletePlan(plan.id),
    );
  }

  for (const record of records) {
    if (record.state !== 'READY' || !plans.some((plan) => plan.id === record.planId)) continue;
    // Its bridge key does not count: it is there for token keys to come.
    const keyCount = (await inventory.planKeyIds(record.planId)).filter(
      (keyId) => keyId !== record.bridge?.keyId,
    ).length;
    if (keyCount > 0) {
      if (record.emptySince !== undefined && options.apply)
        await registry.records.markEmpty(record.rps, record.planId, null);
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
      {
        kind: 'empty-plan',
        subject: `plan ${record.planId}`,
        detail: `the plan for rate ${record.rps} has had no keys since ${emptySince}`,
      },
      async () => {
        // Record first: a request that needs the rate from now on claims and creates a new
        // plan, and a container that cached this one finds it gone and asks again.
        if (!(await registry.records.remove(record.rps, record.planId, emptySince))) return;
        registry.forget(record.rps);
        await deletePlan(record.planId, record.bridge?.keyId);
      },
    );
  }
}
