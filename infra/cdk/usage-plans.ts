import { CustomResource, Duration, type Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { apiGatewayArn } from './api-key-policy.js';
import type { ServiceFunction } from './service-function.js';

/**
 * The unthrottled key that JWT callers and tokens without a limit share. It has no
 * dependency on the stage, so that functions may name it without a cycle
 * (stage -> deployment -> methods -> functions).
 */
export function unthrottledKey(stack: Stack): apigw.ApiKey {
  return new apigw.ApiKey(stack, 'UnthrottledKey', {
    description: 'Shared by JWT callers and tokens without maxRps',
    enabled: true,
  });
}

/** The plan of the unthrottled key: no per-key limit (the stage limits apply). The tiers' are in `rate-tiers.ts`. */
export function unthrottledPlan(stack: Stack, api: apigw.RestApi, key: apigw.ApiKey): apigw.UsagePlan {
  const plan = new apigw.UsagePlan(stack, 'UnthrottledPlan', {
    description: 'No per-key limit: JWT callers and tokens without maxRps',
    apiStages: [{ api, stage: api.deploymentStage }],
  });
  plan.addApiKey(key);
  return plan;
}

/**
 * Copies the shared keys' values (the unthrottled key's, each tier's pooled key's) into
 * the table at deploy time (the `publish-shared-key` function), before the stage serves
 * requests: the authorizer reads them from there, and never calls API Gateway's control
 * plane. It may read those keys and no other.
 */
export function publishSharedKey(
  stack: Stack,
  publisher: ServiceFunction,
  key: apigw.ApiKey,
  api: apigw.RestApi,
  pooled: Map<number, string>,
): CustomResource {
  publisher.allow(
    new iam.PolicyStatement({
      actions: ['apigateway:GET'],
      resources: [key.keyId, ...pooled.values()].map((id) => apiGatewayArn(stack, `/apikeys/${id}`)),
    }),
  );
  const published = new CustomResource(stack, 'SharedUsageKey', {
    serviceToken: publisher.function.functionArn,
    resourceType: 'Custom::SharedUsageKey',
    properties: { ApiKeyId: key.keyId, PooledKeyIds: Object.fromEntries(pooled) },
    // 37 reads at two a second, within the deployment's own calls.
    serviceTimeout: Duration.minutes(5),
  });
  api.deploymentStage.node.addDependency(published);
  return published;
}
