import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConsoleStack } from './console-stack.js';
import { readSettings } from './settings.js';
import { ServiceAccountTokensStack } from './stack.js';
import { consoleStackName } from './stack-name.js';

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
  // The console stack imports the API's id and stage as CloudFormation exports, which keep
  // the API stack from being deleted under it (remove the console's stack first).
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
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
  /**
   * The CDK's built-in check of the templates against CloudFormation's schemas (its
   * findings are written to `validation-report.json` and printed as warnings). The tests
   * run it on one synthesis: its engine costs more than the rest of a synthesis.
   * @default true
   */
  cloudFormationValidation?: boolean;
}

export interface ServiceAppStacks {
  app: App;
  /** The API's stack (`ServiceAccountTokens-<stage>`), its operations nested in it. */
  stack: ServiceAccountTokensStack;
  /** The console's (`…-console`), unless context `console=false`. */
  console: ConsoleStack | undefined;
}

/**
 * The app: one stage's stacks, named after it, environment-agnostic so that synthesis
 * never needs AWS credentials, and bound to no bootstrap qualifier (the CLI's, or context
 * `@aws-cdk/core:bootstrapQualifier`).
 */
export function createServiceApp(options: ServiceAppOptions = {}): ServiceAppStacks {
  const app = new App({
    context: { ...BASE_CONTEXT, ...options.context },
    ...(options.outdir ? { outdir: options.outdir } : {}),
    builtinCloudFormationValidation: options.cloudFormationValidation ?? true,
  });
  const settings = readSettings(app.node);
  const stack = new ServiceAccountTokensStack(app, settings.stackName, { settings });
  const console = settings.console
    ? new ConsoleStack(app, consoleStackName(settings.stackName), { api: stack.api, settings })
    : undefined;
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack, console };
}
