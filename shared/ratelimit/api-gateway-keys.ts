import { randomBytes } from 'node:crypto';
import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeyCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  type PatchOperation,
  UpdateApiKeyCommand,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import { ConcurrentUpdateError } from '../errors.js';
import type { CompensationFailureReport, KeyRequest, TokenBinding } from '../ports.js';
import { type ApiStage, attemptSuffix, type GatewayNames } from './gateway-names.js';
import { asServiceError, isNotFound, type RatePlanRegistry } from './rate-plans.js';

const KEY_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** API Gateway takes 20 to 128 characters; 40 of base62 is about 238 bits. */
export const KEY_VALUE_LENGTH = 40;

/**
 * A fresh key value, unrelated to the token: the key travels in API Gateway's usage data
 * and the table, where the token's secret must never be.
 */
export function newKeyValue(): string {
  let value = '';
  while (value.length < KEY_VALUE_LENGTH) {
    for (const byte of randomBytes(KEY_VALUE_LENGTH)) {
      // 248 = 4 * 62: rejecting the rest keeps every character equally likely.
      if (byte < 248 && value.length < KEY_VALUE_LENGTH) value += KEY_ALPHABET[byte % 62];
    }
  }
  return value;
}

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

export interface ApiGatewayKeysOptions {
  gateway: APIGatewayClient;
  plans: RatePlanRegistry;
  stage: ApiStage;
  names: GatewayNames;
  onCompensationFailure?: CompensationFailureReport;
}

/**
 * The AWS side of `maxRps`: one API key per token with a limit, in the shared usage plan
 * for that limit. Also the read and repair operations that reconcile needs.
 */
export class ApiGatewayKeys {
  constructor(private readonly options: ApiGatewayKeysOptions) {}

  get stage(): ApiStage {
    return this.options.stage;
  }

  async bind(request: KeyRequest): Promise<TokenBinding> {
    const { gateway, plans, names } = this.options;
    const name = names.key(request.lookupId, request.maxRps, attemptSuffix());
    let planId: string;
    try {
      planId = await plans.planFor(request.maxRps);
    } catch (error) {
      throw asServiceError(error);
    }
    const value = newKeyValue();
    let apiKeyId: string;
    try {
      const created = await gateway.send(
        new CreateApiKeyCommand({
          name,
          value,
          enabled: request.enabled,
          description: `Usage key of access token ${request.lookupId} (maxRps ${request.maxRps})`,
        }),
      );
      if (!created.id) throw new Error('API Gateway created an API key without an id');
      apiKeyId = created.id;
    } catch (error) {
      // The key may exist though the call failed (a lost answer, or an SDK retry that met
      // its own first attempt): find it by its name, which no other attempt shares.
      await this.quietly(`delete keys named ${name} after a failed create`, () => this.deleteKeysNamed(name));
      throw asServiceError(error);
    }
    try {
      try {
        await this.addToPlan(planId, apiKeyId);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        // This container's plan id is stale: reconcile replaced a plan deleted out of band.
        plans.forget(request.maxRps);
        await this.addToPlan(await plans.planFor(request.maxRps), apiKeyId);
      }
    } catch (error) {
      await this.quietly(`delete key ${apiKeyId} that could not join its plan`, () => this.deleteKey(apiKeyId));
      throw asServiceError(error);
    }
    return { apiKeyId, usageKey: value };
  }

  async setEnabled(binding: TokenBinding, enabled: boolean): Promise<void> {
    try {
      await this.setKeyEnabled(binding.apiKeyId, enabled);
    } catch (error) {
      // A key that is gone was replaced by a concurrent maxRps change, or deleted with its
      // token: the read it was named by is stale.
      if (isNotFound(error)) throw new ConcurrentUpdateError({ cause: error });
      throw asServiceError(error);
    }
  }

  async unbind(binding: TokenBinding): Promise<void> {
    try {
      await this.deleteKey(binding.apiKeyId);
    } catch (error) {
      throw asServiceError(error);
    }
  }

  async setKeyEnabled(apiKeyId: string, enabled: boolean): Promise<void> {
    await this.options.gateway.send(
      new UpdateApiKeyCommand({
        apiKey: apiKeyId,
        patchOperations: [{ op: 'replace', path: '/enabled', value: String(enabled) }],
      }),
    );
  }

  /** Deleting a key also takes it out of its plans. */
  async deleteKey(apiKeyId: string): Promise<void> {
    try {
      await this.options.gateway.send(new DeleteApiKeyCommand({ apiKey: apiKeyId }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async addToPlan(planId: string, apiKeyId: string): Promise<void> {
    try {
      await this.options.gateway.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId: apiKeyId, keyType: 'API_KEY' }));
    } catch (error) {
      // Conflict is "already there" on a retry, or "in another plan of this stage": only
      // the first is success.
      if ((error as { name?: string })?.name !== 'ConflictException') throw error;
      try {
        await this.options.gateway.send(new GetUsagePlanKeyCommand({ usagePlanId: planId, keyId: apiKeyId }));
      } catch (lookupError) {
        throw isNotFound(lookupError) ? error : lookupError;
      }
    }
  }

  async removeFromPlan(planId: string, apiKeyId: string): Promise<void> {
    try {
      await this.options.gateway.send(new DeleteUsagePlanKeyCommand({ usagePlanId: planId, keyId: apiKeyId }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** Every key of ours. All keys are listed and filtered here: `nameQuery` is documented too loosely to rely on. */
  async listKeys(): Promise<GatewayKey[]> {
    const keys: GatewayKey[] = [];
    let position: string | undefined;
    do {
      const page = await this.options.gateway.send(new GetApiKeysCommand({ limit: 500, includeValues: false, position }));
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
      const page = await this.options.gateway.send(new GetUsagePlansCommand({ limit: 500, position }));
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
      const page = await this.options.gateway.send(new GetUsagePlanKeysCommand({ usagePlanId: planId, limit: 500, position }));
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
    if (!plan.stages.includes(`${restApiId}:${stage}`)) operations.push({ op: 'add', path: '/apiStages', value: `${restApiId}:${stage}` });
    await this.options.gateway.send(new UpdateUsagePlanCommand({ usagePlanId: plan.id, patchOperations: operations }));
  }

  private async deleteKeysNamed(name: string): Promise<void> {
    const page = await this.options.gateway.send(new GetApiKeysCommand({ nameQuery: name, limit: 500, includeValues: false }));
    for (const key of page.items ?? []) {
      if (key.id && key.name === name) await this.deleteKey(key.id);
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
