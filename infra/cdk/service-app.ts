import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServiceAccountTokensStack } from './stack.js';
import { STACK_NAME } from './stack-name.js';

/**
 * Context every synthesis gets, whether from `cdk synth` or a test. The CLI passes the
 * two metadata switches itself; setting them here too keeps a direct run or a test
 * template identical (SAM needs `aws:asset:path`). Feature flags are pinned, not taken
 * from the library's current recommendations, so an upgrade cannot silently replace a
 * resource. Context from the CLI or cdk.json wins over these.
 */
export const BASE_CONTEXT: Record<string, unknown> = {
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:enable-path-metadata': true,
  '@aws-cdk/aws-apigateway:usagePlanKeyOrderInsensitiveId': true,
  '@aws-cdk/aws-apigateway:requestValidatorUniqueId': true,
  // A changed authorizer must produce a new deployment, or the stage keeps the old one.
  '@aws-cdk/aws-apigateway:authorizerChangeDeploymentLogicalId': true,
  // One statement per declared need, as granted: a role then reads like its route.
  '@aws-cdk/aws-iam:minimizePolicies': false,
  // S3 access logs delivered under a bucket policy, not the legacy log-delivery ACL.
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
};

export interface ServiceAppOptions {
  /** Context values (settings such as `stageName`, and CDK switches). */
  context?: Record<string, unknown>;
  outdir?: string;
  /**
   * Run the cdk-nag AwsSolutions pack as a validation plugin: any finding fails synthesis.
   * @default true
   */
  nag?: boolean;
}

/** The app with its one stack, environment-agnostic so that synthesis never needs AWS credentials. */
export function createServiceApp(options: ServiceAppOptions = {}): { app: App; stack: ServiceAccountTokensStack } {
  const app = new App({
    context: { ...BASE_CONTEXT, ...options.context },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const stack = new ServiceAccountTokensStack(app, STACK_NAME);
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
