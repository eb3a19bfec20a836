import { CustomResource, Duration, Fn, NestedStack, type Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { RATE_TIERS } from '../../shared/kernel/rate-tiers.js';
import { STAGE_TAG } from '../../shared/ratelimit/gateway-names.js';

export interface RateTiersProps {
  restApiId: string;
  stage: string;
  /** `restApiId/stage`: the tag IAM requires on what the key worker touches. */
  stageTag: string;
  /** Where the plans' and keys' names start (the stack's name). */
  namePrefix: string;
  pooled: PooledKeysStack;
  /** The deploy-time function that publishes the plans' ids to the table. */
  publisherArn: string;
}

/**
 * Each rate tier's pooled key (`RATE_TIERS`), which the tier's tokens present until their
 * own key is ready. A stack of their own, apart from the plans: the deploy-time publisher
 * reads their values before the stage serves, and the plans can only be made once the
 * stage is. Not tagged, so no function can touch them.
 */
export class PooledKeysStack extends NestedStack {
  /** Each tier's pooled key, by rate. */
  readonly keys = new Map<number, apigw.CfnApiKey>();

  constructor(parent: Stack, id: string, namePrefix: string) {
    super(parent, id, { description: 'The pooled API keys of the service account tokens API’s rate tiers' });
    for (const rps of RATE_TIERS) {
      const key = new apigw.CfnApiKey(this, `Pooled${rps}`, {
        name: `${namePrefix}-pooled-rps${rps}`,
        description: `Shared by the tokens of tier ${rps} whose own key is not ready yet`,
        enabled: true,
      });
      this.keys.set(rps, key);
    }
  }
}

/**
 * The usage plans that enforce `maxRps`, one per rate tier, made here and nowhere else: no
 * function creates, changes or deletes a plan. Each throttles every key in it at the
 * tier's rate, burst the same, and holds the tier's pooled key. In a stack of their own:
 * two resources a tier is over seventy, which the API's stack has no room for.
 *
 * The plans carry the stage tag, so the key worker may put its keys in them (IAM checks the
 * plan's tags). Their ids are published to the table once they are made (a custom
 * resource): the key worker and reconcile read them there.
 */
export class RateTiersStack extends NestedStack {
  /** Each tier's plan, by rate. */
  readonly plans = new Map<number, apigw.CfnUsagePlan>();

  constructor(parent: Stack, id: string, props: RateTiersProps) {
    super(parent, id, { description: 'The rate tiers of the service account tokens API: usage plans' });
    for (const rps of RATE_TIERS) {
      const plan = new apigw.CfnUsagePlan(this, `Tier${rps}`, {
        usagePlanName: `${props.namePrefix}-rps${rps}`,
        description: `maxRps tier ${rps}: rate ${rps}/s, burst ${rps}, per key`,
        throttle: { rateLimit: rps, burstLimit: rps },
        apiStages: [{ apiId: props.restApiId, stage: props.stage }],
        tags: [{ key: STAGE_TAG, value: props.stageTag }],
      });
      new apigw.CfnUsagePlanKey(this, `PooledIn${rps}`, {
        usagePlanId: plan.ref,
        keyId: props.pooled.keys.get(rps)!.ref,
        keyType: 'API_KEY',
      });
      this.plans.set(rps, plan);
    }
    new CustomResource(this, 'PublishedPlans', {
      serviceToken: props.publisherArn,
      resourceType: 'Custom::TierPlans',
      properties: { TierPlans: Object.fromEntries([...this.plans].map(([rps, plan]) => [String(rps), plan.ref])) },
      serviceTimeout: Duration.minutes(2),
    });
  }

  /** `<rps>=<plan id>,...`: what the scripts take as `TIER_PLANS`. */
  planList(): string {
    return Fn.join(
      ',',
      [...this.plans].map(([rps, plan]) => `${rps}=${plan.ref}`),
    );
  }
}
