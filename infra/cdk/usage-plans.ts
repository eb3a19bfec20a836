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

/**
 * The plan of the shared key: no per-key limit (the stage limits still apply); per-token plans are made at run time.
 */
export function unthrottledPlan(stack: Stack, api: apigw.RestApi, key: apigw.ApiKey): apigw.UsagePlan {
  const plan = new apigw.UsagePlan(stack, 'UnthrottledPlan', {
    description: 'No per-key limit: JWT callers and tokens without maxRps',
    apiStages: [{ api, stage: api.deploymentStage }],
  });
  plan.addApiKey(key);
  return plan;
}

/**
 * Copies the shared key's value into the table at deploy time (the `publish-shared-key`
 * function), before the stage serves requests: the authorizer reads it from there, once
 * per container, and never calls API Gateway's control plane.
 */
export function publishSharedKey(
  stack: Stack,
  publisher: ServiceFunction,
  key: apigw.ApiKey,
  api: apigw.RestApi,
): CustomResource {
  publisher.allow(
    new iam.PolicyStatement({
      actions: ['apigateway:GET'],
      resources: [apiGatewayArn(stack, `/apikeys/${key.keyId}`)],
    }),
  );
  const published = new CustomResource(stack, 'SharedUsageKey', {
    serviceToken: publisher.function.functionArn,
    resourceType: 'Custom::SharedUsageKey',
    properties: { ApiKeyId: key.keyId },
    serviceTimeout: Duration.minutes(2),
  });
  api.deploymentStage.node.addDependency(published);
  return published;
}
