import { enforcedRate } from '../kernel/rate-tiers.js';
import type { ApiGateway } from './api-gateway.mjs';
import { type ApiStage, keyNamePrefix, STAGE_TAG, stageTagValue } from './gateway-names.js';
import { type KeyGateway, UnusableKeyError } from './key-worker.js';
import type { Pacer } from './pacer.js';

const named = (name: string) => (error: unknown) => (error as { name?: string })?.name === name;
const isNotFound = named('NotFoundException');
const isConflict = named('ConflictException');

async function ignoringNotFound(call: Promise<unknown>): Promise<void> {
  await call.catch((error) => {
    if (!isNotFound(error)) throw error;
  });
}

/**
 * The plan a key of `maxRps` belongs in, and the rate it holds keys to: the one mapping the
 * worker moves keys by and reconcile judges them by. No plan id: the tier has no plan (a
 * partial TIER_PLANS), which the worker fails on and reconcile reports as drift.
 */
export function tierPlan(tierPlans: Map<number, string>, maxRps: number): { planId: string | undefined; rps: number } {
  const rps = enforcedRate(maxRps);
  return { planId: tierPlans.get(rps), rps };
}

/**
 * The key worker's API Gateway: keys of this stage (named after their owner, tagged with
 * the stage, which IAM requires) in the tiers' plans (rate → plan id, made by
 * CloudFormation), every call paced. It never touches a plan itself, and never lists keys.
 */
export async function apiGatewayKeys(options: {
  gateway: ApiGateway;
  pacer: Pacer;
  stage: ApiStage;
  tierPlans: Map<number, string>;
  warmupMs: number;
}): Promise<KeyGateway> {
  const { gateway, pacer, stage, tierPlans, warmupMs } = options;
  // The SDK's commands load with the worker's first batch, not at init (see key-worker-handler.ts).
  const {
    CreateApiKeyCommand,
    CreateUsagePlanKeyCommand,
    DeleteApiKeyCommand,
    DeleteUsagePlanKeyCommand,
    GetUsagePlanKeyCommand,
  } = await import('./api-gateway.mjs');
  return {
    warmupMs,
    planFor(maxRps) {
      const { planId, rps } = tierPlan(tierPlans, maxRps);
      if (planId === undefined) throw new Error(`No usage plan for the tier of ${rps} requests a second (TIER_PLANS)`);
      return { planId, rps };
    },
    async createKey(ownerId) {
      // API Gateway makes the value (40 characters, unrelated to the token: it travels in usage data, no secret may).
      const { id, value } = await pacer.call(() =>
        gateway.send(
          new CreateApiKeyCommand({
            name: `${keyNamePrefix(stage)}${ownerId}`,
            description: `Own key of ${ownerId} (service account tokens, stage ${stage.stage})`,
            enabled: true,
            tags: { [STAGE_TAG]: stageTagValue(stage) },
          }),
        ),
      );
      if (!id || !value) throw new Error('API Gateway created an API key without an id or a value');
      return { id, value };
    },
    async addToPlan(usagePlanId, keyId) {
      try {
        await pacer.call(() => gateway.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' })));
      } catch (error) {
        // Not found: the key is gone (the plan is CloudFormation's, and there).
        if (isNotFound(error)) throw new UnusableKeyError(`Key ${keyId} is gone`);
        // Conflict is "already there" on a retry, or "in another plan of this stage": only the first is done.
        if (!isConflict(error)) throw error;
        await pacer
          .call(() => gateway.send(new GetUsagePlanKeyCommand({ usagePlanId, keyId })))
          .catch((lookup) => {
            throw isNotFound(lookup) ? new UnusableKeyError(`Key ${keyId} is in another plan`) : lookup;
          });
      }
    },
    removeFromPlan: (usagePlanId, keyId) =>
      ignoringNotFound(pacer.call(() => gateway.send(new DeleteUsagePlanKeyCommand({ usagePlanId, keyId })))),
    // Deleting a key also takes it out of its plans.
    deleteKey: (keyId) => ignoringNotFound(pacer.call(() => gateway.send(new DeleteApiKeyCommand({ apiKey: keyId })))),
  };
}
