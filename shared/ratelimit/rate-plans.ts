import { randomUUID } from 'node:crypto';
import { ServiceUnavailableError } from '../kernel/errors.js';
import type { CompensationFailureReport } from '../kernel/ports.js';
import type { ApiGateway } from './api-gateway.mjs';
import { addKeyToPlan, createApiKey } from './api-keys.js';
import { asServiceError } from './errors.js';
import { type ApiStage, attemptSuffix, type GatewayNames } from './gateway-names.js';
import type { BridgeKey, RatePlanRecords, RecordedPlan } from './plan-records.js';

export interface RatePlanRegistryOptions {
  gateway: ApiGateway;
  records: RatePlanRecords;
  stage: ApiStage;
  names: GatewayNames;
  onCompensationFailure?: CompensationFailureReport;
  /** How long a claim may stand before another request takes it over (its holder died). @default 30000 */
  claimTimeoutMs?: number;
  /** How long a request waits for another's plan before answering 503 with Retry-After. @default 3000 */
  waitMs?: number;
  /** How long a new key takes to be honoured, as far as this service counts on. @default 60 */
  keyWarmupSeconds?: number;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * One usage plan per distinct `maxRps` (rate N, burst N), created on first need.
 *
 * Plans are shared because an account has only 300 of them (adjustable) but 10,000 keys.
 * Creating one is serialised per rate by a claim in the table: the request that claims
 * the rate creates its plan and records it; any other waits for the record. So no
 * request ever creates a plan it must then delete (API Gateway allows one UpdateUsagePlan,
 * which deleting needs, every 20 seconds), and a failed request leaves at most a plan
 * that reconcile finds unrecorded and deletes.
 */
export class RatePlanRegistry {
  /** Plans never change once recorded (bar reconcile replacing a deleted one), so each container asks once. */
  private readonly known = new Map<number, Promise<RecordedPlan>>();

  constructor(private readonly options: RatePlanRegistryOptions) {}

  get records(): RatePlanRecords {
    return this.options.records;
  }

  /** The plan for `rps`, created and recorded if there is none yet. */
  planFor(rps: number): Promise<RecordedPlan> {
    let plan = this.known.get(rps);
    if (!plan) {
      const pending = this.recordedOrNew(rps);
      plan = pending;
      this.known.set(rps, pending);
      pending.catch(() => {
        if (this.known.get(rps) === pending) this.known.delete(rps);
      });
    }
    return plan;
  }

  /** Drops a cached plan id that API Gateway no longer knows (reconcile replaced or deleted the plan). */
  forget(rps: number): void {
    this.known.delete(rps);
  }

  private async recordedOrNew(rps: number): Promise<RecordedPlan> {
    const { records } = this.options;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    const deadline = Date.now() + (this.options.waitMs ?? 3000);
    for (let wait = 50; ; wait = Math.min(wait * 2, 800)) {
      const recorded = await records.planOf(rps);
      if (recorded !== undefined) return recorded;
      const owner = randomUUID();
      const now = new Date();
      if (await records.claim(rps, owner, now, new Date(now.getTime() - (this.options.claimTimeoutMs ?? 30_000)))) {
        return this.createUnderClaim(rps, owner);
      }
      // Another request is creating it: its record follows within a second or so.
      if (Date.now() >= deadline) throw new ServiceUnavailableError();
      await sleep(wait);
    }
  }

  private async createUnderClaim(rps: number, owner: string): Promise<RecordedPlan> {
    const { records } = this.options;
    let plan: RecordedPlan;
    try {
      plan = await this.createPlan(rps);
    } catch (error) {
      await this.quietly(`release the claim on rate ${rps}`, () => records.release(rps, owner));
      throw asServiceError(error);
    }
    const planId = plan.planId;
    let completed: boolean;
    try {
      completed = await records.complete(rps, owner, plan, new Date());
    } catch (error) {
      // Unrecorded, the plan is reconcile's to delete; without the claim, a retry makes another.
      await this.quietly(`release the claim on rate ${rps}`, () => records.release(rps, owner));
      throw error;
    }
    if (completed) return plan;
    // The claim was taken over as stale meanwhile: the other request's plan counts, ours is
    // unrecorded and reconcile deletes it.
    this.report(
      new Error('claim taken over'),
      `usage plan ${planId} (rate ${rps}) made under a lost claim; reconcile deletes it`,
    );
    const recorded = await records.planOf(rps);
    if (recorded === undefined) throw new ServiceUnavailableError();
    return recorded;
  }

  /** Caches a plan reconcile just made or found for `rps`. */
  remember(rps: number, plan: RecordedPlan): void {
    this.known.set(rps, Promise.resolve(plan));
  }

  /**
   * A plan for rate N, burst N on this stage, with its bridge key. A bridge that cannot be
   * made is left for reconcile: until then new keys of the rate warm up on the shared key.
   * (Also reconcile's, to replace a plan; see `plan-repairs.ts`.)
   */
  async createPlan(rps: number): Promise<RecordedPlan> {
    const { restApiId, stage } = this.options.stage;
    const plan = await this.options.gateway.createUsagePlan({
      name: this.options.names.plan(rps, attemptSuffix()),
      description: `maxRps ${rps}: rate ${rps}/s, burst ${rps}, shared by every token with this limit`,
      apiStages: [{ apiId: restApiId, stage }],
      throttle: { rateLimit: rps, burstLimit: rps },
      tags: this.options.names.tags,
    });
    if (!plan.id) throw new Error('API Gateway created a usage plan without an id');
    try {
      return { planId: plan.id, bridge: await this.createBridge(rps, plan.id) };
    } catch (error) {
      this.report(error, `make the bridge key of usage plan ${plan.id} (rate ${rps}); reconcile makes it`);
      return { planId: plan.id };
    }
  }

  /** A bridge key in the plan, ready after the warm-up. */
  async createBridge(rps: number, planId: string): Promise<BridgeKey> {
    const key = await createApiKey(this.options.gateway, {
      name: this.options.names.bridge(rps, attemptSuffix()),
      enabled: true,
      description: `Bridge key of the plan for maxRps ${rps}: presented by new keys of this rate while they warm up`,
      tags: this.options.names.tags,
    });
    await addKeyToPlan(this.options.gateway, planId, key.id);
    const now = (this.options.clock ?? (() => new Date()))();
    const readyAt = new Date(now.getTime() + (this.options.keyWarmupSeconds ?? 60) * 1000).toISOString();
    return { keyId: key.id, usageKey: key.value, readyAt };
  }

  private async quietly(step: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.report(error, step);
    }
  }

  private report(error: unknown, step: string): void {
    this.options.onCompensationFailure?.(error, step);
  }
}
