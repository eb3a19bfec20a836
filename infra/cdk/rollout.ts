import { ArnFormat, type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { Rollout } from './operations-settings.js';
import { LIVE_ALIAS, type ServiceFunction } from './service-function.js';

/**
 * Gradual rollout of the functions behind the API. Each has a `live` alias that the API
 * and the authorizer invoke; when a deployment publishes a new version, CloudFormation
 * hands the alias's move to CodeDeploy (the alias's `CodeDeployLambdaAliasUpdate` update
 * policy), which shifts traffic as context `rollout` says and moves it back, failing the
 * stack update, when one of the function's alarms goes off meanwhile
 * (the update policy:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatepolicy.html;
 * the configurations: https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html).
 */

/** The CodeDeploy application, in the API stack beside the aliases whose update policies name it. */
export function rolloutApplication(scope: Construct): codedeploy.LambdaApplication {
  return new codedeploy.LambdaApplication(scope, 'Rollout');
}

export interface RolloutTarget {
  id: string;
  fn: ServiceFunction;
  /** The alarms that stop and reverse a deployment of this function (at most 10). */
  alarms: cloudwatch.IAlarm[];
}

/**
 * One deployment group per aliased function, named after it, under one role that may move
 * these aliases and read alarms, and nothing else (AWS's managed policy for this would let
 * it move any alias in the account).
 */
export function gradualRollout(
  scope: Construct,
  application: codedeploy.ILambdaApplication,
  targets: RolloutTarget[],
  rollout: Rollout,
): void {
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, 'RolloutRole', {
    assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
    description: 'Lets CodeDeploy move the live aliases of the functions behind the API',
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['lambda:GetAlias', 'lambda:GetProvisionedConcurrencyConfig', 'lambda:UpdateAlias'],
      resources: targets.map(({ fn }) =>
        stack.formatArn({
          service: 'lambda',
          resource: 'function',
          resourceName: `${fn.function.functionName}:${LIVE_ALIAS}`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ),
    }),
  );
  role.addToPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }));
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'CodeDeploy reads the state of its deployment groups’ alarms with DescribeAlarms, which it calls on *.',
  });
  for (const { id, fn, alarms } of targets) {
    if (!fn.alias) throw new Error(`Function ${id} has no alias to roll out`);
    if (alarms.length === 0 || alarms.length > 10) {
      throw new Error(`Function ${id}: a deployment group takes 1 to 10 alarms, got ${alarms.length}`);
    }
    const group = new codedeploy.CfnDeploymentGroup(scope, `Rollout-${id}`, {
      applicationName: application.applicationName,
      deploymentGroupName: id,
      serviceRoleArn: role.roleArn,
      deploymentConfigName: `CodeDeployDefault.Lambda${rollout}`,
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      alarmConfiguration: { enabled: true, alarms: alarms.map((alarm) => ({ name: alarm.alarmName })) },
      autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
    });
    // The role's policy must be in place before CodeDeploy uses the group.
    group.node.addDependency(role);
    const alias = fn.alias.node.defaultChild as CfnResource;
    alias.cfnOptions.updatePolicy = {
      codeDeployLambdaAliasUpdate: { applicationName: application.applicationName, deploymentGroupName: id },
    };
    // The group (and its alarms) must exist before CloudFormation hands it an alias to move.
    fn.alias.node.addDependency(scope);
  }
}
