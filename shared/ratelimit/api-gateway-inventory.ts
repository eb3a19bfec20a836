import type { PatchOperation } from '@aws-sdk/client-api-gateway';
import type { ApiGateway } from './api-gateway.mjs';
import { addKeyToPlan, deleteApiKey, removeKeyFromPlan } from './api-keys.js';
import type { ApiStage, GatewayNames } from './gateway-names.js';

/** An API key of ours as reconcile sees it (never its value). */
export interface GatewayKey {
  id: string;
  name: string;
  enabled: boolean;
  createdDate: Date | undefined;
}

/** A usage plan of ours as reconcile sees it. */
export interface GatewayPlan {
  id: string;
  name: string;
  rps: number | undefined;
  rateLimit: number | undefined;
  burstLimit: number | undefined;
  /** `restApiId:stage` of each stage the plan covers. */
  stages: string[];
}

/**
 * What reconcile reads and repairs in API Gateway: every key and plan of this stage (by
 * name), their memberships and settings. Only reconcile lists keys; the request path
 * never does (`ApiGatewayKeys`), since listing keys can show every key's value.
 */
export class GatewayInventory {
  constructor(private readonly options: { gateway: ApiGateway; stage: ApiStage; names: GatewayNames }) {}

  get stage(): ApiStage {
    return this.options.stage;
  }

  /** Every key of ours. All keys are listed and filtered here: `nameQuery` is documented too loosely to rely on. */
  async listKeys(): Promise<GatewayKey[]> {
    const keys: GatewayKey[] = [];
    let position: string | undefined;
    do {
      const page = await this.options.gateway.getApiKeys({ limit: 500, includeValues: false, position });
      for (const key of page.items ?? []) {
        if (key.id && key.name?.startsWith(this.options.names.prefix)) {
          keys.push({ id: key.id, name: key.name, enabled: key.enabled === true, createdDate: key.createdDate });
        }
      }
      position = page.position;
    } while (position);
    return keys;
  }

  /** Every usage plan of ours, by name. */
  async listPlans(): Promise<GatewayPlan[]> {
    const plans: GatewayPlan[] = [];
    let position: string | undefined;
    do {
      const page = await this.options.gateway.getUsagePlans({ limit: 500, position });
      for (const plan of page.items ?? []) {
        const rps = plan.name === undefined ? undefined : this.options.names.rateOfPlan(plan.name);
        if (!plan.id || rps === undefined) continue;
        plans.push({
          id: plan.id,
          name: plan.name!,
          rps,
          rateLimit: plan.throttle?.rateLimit,
          burstLimit: plan.throttle?.burstLimit,
          stages: (plan.apiStages ?? []).map((stage) => `${stage.apiId}:${stage.stage}`),
        });
      }
      position = page.position;
    } while (position);
    return plans;
  }

  async planKeyIds(planId: string): Promise<string[]> {
    const ids: string[] = [];
    let position: string | undefined;
    do {
      const page = await this.options.gateway.getUsagePlanKeys({ usagePlanId: planId, limit: 500, position });
      for (const key of page.items ?? []) if (key.id) ids.push(key.id);
      position = page.position;
    } while (position);
    return ids;
  }

  /** Sets a plan of ours back to rate N, burst N on this stage. */
  async restorePlan(plan: GatewayPlan, rps: number): Promise<void> {
    const { restApiId, stage } = this.options.stage;
    const operations: PatchOperation[] = [
      { op: 'replace', path: '/throttle/rateLimit', value: String(rps) },
      { op: 'replace', path: '/throttle/burstLimit', value: String(rps) },
    ];
    if (!plan.stages.includes(`${restApiId}:${stage}`))
      operations.push({ op: 'add', path: '/apiStages', value: `${restApiId}:${stage}` });
    await this.options.gateway.updateUsagePlan({ usagePlanId: plan.id, patchOperations: operations });
  }

  async setKeyEnabled(apiKeyId: string, enabled: boolean): Promise<void> {
    await this.options.gateway.updateApiKey({
      apiKey: apiKeyId,
      patchOperations: [{ op: 'replace', path: '/enabled', value: String(enabled) }],
    });
  }

  deleteKey(apiKeyId: string): Promise<void> {
    return deleteApiKey(this.options.gateway, apiKeyId);
  }

  addToPlan(planId: string, apiKeyId: string): Promise<void> {
    return addKeyToPlan(this.options.gateway, planId, apiKeyId);
  }

  removeFromPlan(planId: string, apiKeyId: string): Promise<void> {
    return removeKeyFromPlan(this.options.gateway, planId, apiKeyId);
  }
}
