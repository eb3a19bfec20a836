import { ConcurrentUpdateError } from '../kernel/errors.js';
import type { CompensationFailureReport } from '../kernel/ports.js';
import type { KeyRequest } from '../tokens/ports.js';
import type { TokenBinding } from '../kernel/model.js';
import type { ApiGateway } from './api-gateway.mjs';
import { addKeyToPlan, createApiKey, deleteApiKey } from './api-keys.js';
import { asServiceError, isNotFound } from './errors.js';
import { type ApiStage, attemptSuffix, type GatewayNames } from './gateway-names.js';
import type { RatePlanRegistry } from './rate-plans.js';

export interface ApiGatewayKeysOptions {
  gateway: ApiGateway;
  plans: RatePlanRegistry;
  stage: ApiStage;
  names: GatewayNames;
  /** How long a new key takes to be honoured, as far as this service counts on. @default 60 */
  keyWarmupSeconds?: number;
  clock?: () => Date;
  onCompensationFailure?: CompensationFailureReport;
}

/**
 * The AWS side of `maxRps` on the request path: one API key per token with a limit, in
 * the shared usage plan for that limit. It creates, enables, disables and deletes keys,
 * and never lists them (see `api-gateway-inventory.ts` for reconcile's side).
 */
export class ApiGatewayKeys {
  constructor(private readonly options: ApiGatewayKeysOptions) {}

  get stage(): ApiStage {
    return this.options.stage;
  }

  async bind(request: KeyRequest): Promise<TokenBinding> {
    const { gateway, plans, names } = this.options;
    let plan;
    try {
      plan = await plans.planFor(request.maxRps);
    } catch (error) {
      throw asServiceError(error);
    }
    let key: { id: string; value: string };
    try {
      key = await createApiKey(gateway, {
        name: names.key(request.lookupId, request.maxRps, attemptSuffix()),
        enabled: request.enabled,
        description: `Usage key of access token ${request.lookupId} (maxRps ${request.maxRps})`,
        tags: names.tags,
      });
    } catch (error) {
      // A key whose answer was lost carries this attempt's name alone: reconcile deletes it.
      throw asServiceError(error);
    }
    try {
      try {
        await addKeyToPlan(gateway, plan.planId, key.id);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        // This container's plan is stale: reconcile replaced or deleted it.
        plans.forget(request.maxRps);
        plan = await plans.planFor(request.maxRps);
        await addKeyToPlan(gateway, plan.planId, key.id);
      }
    } catch (error) {
      await this.quietly(`delete key ${key.id} that could not join its plan`, () => deleteApiKey(gateway, key.id));
      throw asServiceError(error);
    }
    const now = (this.options.clock ?? (() => new Date()))();
    const readyAt = new Date(now.getTime() + (this.options.keyWarmupSeconds ?? 60) * 1000).toISOString();
    const bridgeReady = plan.bridge !== undefined && Date.parse(plan.bridge.readyAt) <= now.getTime();
    return {
      apiKeyId: key.id,
      usageKey: key.value,
      keyReadyAt: readyAt,
      ...(bridgeReady ? { fallbackUsageKey: plan.bridge!.usageKey } : {}),
    };
  }

  async setEnabled(binding: TokenBinding, enabled: boolean): Promise<void> {
    try {
      await this.options.gateway.updateApiKey({
        apiKey: binding.apiKeyId,
        patchOperations: [{ op: 'replace', path: '/enabled', value: String(enabled) }],
      });
    } catch (error) {
      // A key that is gone was replaced by a concurrent maxRps change, or deleted with its
      // token: the read it was named by is stale.
      if (isNotFound(error)) throw new ConcurrentUpdateError({ cause: error });
      throw asServiceError(error);
    }
  }

  async unbind(binding: TokenBinding): Promise<void> {
    try {
      await deleteApiKey(this.options.gateway, binding.apiKeyId);
    } catch (error) {
      throw asServiceError(error);
    }
  }

  private async quietly(step: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.options.onCompensationFailure?.(error, step);
    }
  }
}
