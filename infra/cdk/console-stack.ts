import { Annotations, CfnOutput, type CfnResource, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeLibraryFunctions, ConsoleHosting } from './console.js';
import type { ServiceSettings } from './settings.js';

export interface ConsoleStackProps extends StackProps {
  api: apigw.RestApi;
  settings: ServiceSettings;
}

/**
 * The console beside the API, in a stack of its own: CloudFront may be refused to a new
 * account until AWS verifies it, and then only this stack fails; the API's stack never
 * depends on it (context `console=false` leaves it out).
 */
export class ConsoleStack extends Stack {
  readonly hosting: ConsoleHosting;

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, { description: 'Service account access tokens: the console (S3, CloudFront)', ...props });
    const { settings } = props;
    const removalPolicy = settings.ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.hosting = new ConsoleHosting(this, 'Console', { api: props.api, settings, removalPolicy });
    acknowledgeLibraryFunctions(this);
    keepLibraryLogs(this, settings, removalPolicy);
    if (settings.consoleClientId === '') {
      Annotations.of(this).addWarningV2(
        'service-account-tokens:console-client',
        'No console client configured (context consoleClientId): the console cannot sign in. See docs/deploy.md.',
      );
    }
    new CfnOutput(this, 'ConsoleUrl', {
      description:
        'The console (register it with the identity provider as the redirect and sign-out URI); ' +
        'the API is also under /api/ here',
      value: `https://${this.hosting.distribution.distributionDomainName}/console/`,
    });
  }
}

/**
 * The CDK's bucket emptier (a throwaway stage's buckets) is a function of the library's
 * that would log to a group Lambda creates, without a retention: it logs to one of ours.
 */
function keepLibraryLogs(stack: Stack, settings: ServiceSettings, removalPolicy: RemovalPolicy): void {
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('Custom::S3AutoDeleteObjects')) continue;
    const handler = child.node.tryFindChild('Handler') as CfnResource | undefined;
    if (!handler) throw new Error(`${child.node.path} has no Handler`);
    const retention = settings.logRetentionDays;
    const group = new logs.LogGroup(stack, 'BucketEmptierLogs', { retention, removalPolicy });
    handler.addPropertyOverride('LoggingConfig', { LogGroup: group.logGroupName });
  }
}
