import { randomBytes } from 'node:crypto';
import { enforcedRate } from '../kernel/rate-tiers.js';
import type { ApiGateway } from './api-gateway.mjs';
import { isConflict, isNotFound } from './errors.js';
import { type ApiStage, keyNamePrefix, STAGE_TAG, stageTagValue } from './gateway-names.js';
import { type KeyGateway, UnusableKeyError } from './key-worker.js';
import type { Pacer } from './pacer.js';

const KEY_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** API Gateway takes 20 to 128 characters; 40 of base62 is about 238 bits. */
const KEY_VALUE_LENGTH = 40;

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

export interface ApiGatewayKeysOptions {
  gateway: ApiGateway;
  pacer: Pacer;
  stage: ApiStage;
  /** The tiers' usage plans, made by CloudFormation: rate → plan id. */
  tierPlans: Map<number, string>;
  warmupMs: number;
}

/**
 * The key worker's API Gateway: keys of this stage (named after their owner, tagged with
 * the stage, which IAM requires) in the tiers' plans, every call paced (`Pacer`). It
 * never creates, changes or deletes a plan, and never lists keys.
 */
export class ApiGatewayKeys implements KeyGateway {
  readonly warmupMs: number;
  constructor(private readonly options: ApiGatewayKeysOptions) {
    this.warmupMs = options.warmupMs;
  }

  planFor(maxRps: number): { planId: string; rps: number } {
    const rps = enforcedRate(maxRps);
    const planId = this.options.tierPlans.get(rps);
    if (planId === undefined) throw new Error(`No usage plan for the tier of ${rps} requests a second (TIER_PLANS)`);
    return { planId, rps };
  }

  async createKey(ownerId: string): Promise<{ id: string; value: string }> {
    const { gateway, pacer, stage } = this.options;
    const value = newKeyValue();
    const created = await pacer.call(() =>
      gateway.createApiKey({
        name: `${keyNamePrefix(stage)}${ownerId}`,
        description: `Own key of ${ownerId} (service account tokens, stage ${stage.stage})`,
        enabled: true,
        value,
        tags: { [STAGE_TAG]: stageTagValue(stage) },
      }),
    );
    if (!created.id) throw new Error('API Gateway created an API key without an id');
    return { id: created.id, value };
  }

  async addToPlan(planId: string, keyId: string): Promise<void> {
    const { gateway, pacer } = this.options;
    try {
      await pacer.call(() => gateway.createUsagePlanKey({ usagePlanId: planId, keyId, keyType: 'API_KEY' }));
    } catch (error) {
      // Not found: the key is gone (the plan is CloudFormation's, and there).
      if (isNotFound(error)) throw new UnusableKeyError(`Key ${keyId} is gone`);
      // Conflict is "already there" on a retry, or "in another plan of this stage": only the first is done.
      if (!isConflict(error)) throw error;
      try {
        await pacer.call(() => gateway.getUsagePlanKey({ usagePlanId: planId, keyId }));
      } catch (lookup) {
        throw isNotFound(lookup) ? new UnusableKeyError(`Key ${keyId} is in another plan`) : lookup;
      }
    }
  }

  async removeFromPlan(planId: string, keyId: string): Promise<void> {
    const { gateway, pacer } = this.options;
    await ignoringNotFound(() => pacer.call(() => gateway.deleteUsagePlanKey({ usagePlanId: planId, keyId })));
  }

  async deleteKey(keyId: string): Promise<void> {
    const { gateway, pacer } = this.options;
    // Deleting a key also takes it out of its plans.
    await ignoringNotFound(() => pacer.call(() => gateway.deleteApiKey({ apiKey: keyId })));
  }
}

async function ignoringNotFound(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
