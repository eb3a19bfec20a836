import type { ApiGateway } from './api-gateway.mjs';
import { isNotFound } from './errors.js';
import type { ApiStage } from './gateway-names.js';
import type { RatePlanRegistry } from './rate-plans.js';

/**
 * Reconcile's repairs of usage plans: replacing a recorded plan API Gateway lost, renewing
 * a bridge key, deleting a plan. Kept apart from the request path (`RatePlanRegistry`), so
 * that no request-path function carries the operations that change or delete plans.
 */
export class PlanRepairs {
  constructor(private readonly options: { gateway: ApiGateway; stage: ApiStage; registry: RatePlanRegistry }) {}

  /**
   * Replaces a recorded plan that no longer exists in API Gateway (deleted out of band).
   * Conditional on the record still naming the missing plan, so two reconciles agree; the
   * loser's plan is deleted at once (reconcile is not a request).
   */
  async replace(rps: number, missingPlanId: string): Promise<string> {
    const { registry } = this.options;
    const plan = await registry.createPlan(rps);
    if (!(await registry.records.replace(rps, missingPlanId, plan))) {
      await this.discard(plan.planId);
      const recorded = await registry.records.planOf(rps);
      if (recorded === undefined) throw new Error(`No plan is recorded for rate ${rps}`);
      registry.remember(rps, recorded);
      return recorded.planId;
    }
    registry.remember(rps, plan);
    return plan.planId;
  }

  /** Gives a recorded plan a new bridge key (the old one is gone or was never made). */
  async renewBridge(rps: number, planId: string): Promise<void> {
    const { registry } = this.options;
    const bridge = await registry.createBridge(rps, planId);
    if (!(await registry.records.setBridge(rps, planId, bridge)))
      throw new Error(`The plan of rate ${rps} changed meanwhile`);
    registry.forget(rps);
  }

  /** Removes a plan of ours: API Gateway refuses to delete a plan still attached to a stage. */
  async discard(planId: string): Promise<void> {
    const { restApiId, stage } = this.options.stage;
    try {
      await this.options.gateway.updateUsagePlan({
        usagePlanId: planId,
        patchOperations: [{ op: 'remove', path: '/apiStages', value: `${restApiId}:${stage}` }],
      });
    } catch (error) {
      if (isNotFound(error)) return;
      // A plan that never got its stage (or lost it already) can be deleted as it is.
      if ((error as { name?: string })?.name !== 'BadRequestException') throw error;
    }
    try {
      await this.options.gateway.deleteUsagePlan({ usagePlanId: planId });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
