import { Fn, NestedStack, type Stack } from 'aws-cdk-lib';
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
}

/**
 * The usage plans that enforce `maxRps`, one per rate tier (`RATE_TIERS`), made here and
 * nowhere else: no function creates, changes or deletes a plan. Each throttles every key
 * in it at the tier's rate, burst the same; each has a pooled key of its own, which the
 * tier's tokens present until their own key is ready. In a stack of their own inside the
 * API's: three resources a tier is over a hundred, which the API's stack has no room for.
 *
 * The plans carry the stage tag, so the key worker may put its keys in them (IAM checks the
 * plan's tags); the pooled keys do not, so no function can touch them.
 */
export class RateTiersStack extends NestedStack {
  /** Each tier's plan and pooled key, by rate. */
  readonly tiers = new Map<number, { plan: apigw.CfnUsagePlan; pooledKey: apigw.CfnApiKey }>();

  constructor(parent: Stack, id: string, props: RateTiersProps) {
    super(parent, id, { description: 'The rate tiers of the service account tokens API: usage plans and pooled keys' });
    for (const rps of RATE_TIERS) {
      const plan = new apigw.CfnUsagePlan(this, `Tier${rps}`, {
        usagePlanName: `${props.namePrefix}-rps${rps}`,
        description: `maxRps tier ${rps}: rate ${rps}/s, burst ${rps}, per key`,
        throttle: { rateLimit: rps, burstLimit: rps },
        apiStages: [{ apiId: props.restApiId, stage: props.stage }],
        tags: [{ key: STAGE_TAG, value: props.stageTag }],
      });
      const pooledKey = new apigw.CfnApiKey(this, `Pooled${rps}`, {
        name: `${props.namePrefix}-pooled-rps${rps}`,
        description: `Shared by the tokens of tier ${rps} whose own key is not ready yet`,
        enabled: true,
      });
      new apigw.CfnUsagePlanKey(this, `PooledIn${rps}`, {
        usagePlanId: plan.ref,
        keyId: pooledKey.ref,
        keyType: 'API_KEY',
      });
      this.tiers.set(rps, { plan, pooledKey });
    }
  }

  /** `<rps>=<plan id>,...`: the worker's and reconcile's `TIER_PLANS`. */
  planList(): string {
    return Fn.join(
      ',',
      [...this.tiers].map(([rps, { plan }]) => `${rps}=${plan.ref}`),
    );
  }
}
