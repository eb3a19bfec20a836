import { CfnOutput, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { ServiceSettings } from './settings.js';

/**
 * Where every alarm sends its state changes: an existing topic named by context
 * (`alarmTopicArn`, the organisation's paging system), or the stack's own, encrypted with the
 * service's key and optionally mailed to `alarmEmail`. CloudWatch may publish to the stack's
 * topic, and use its key, for this account's alarms in this Region only
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 */
export function alarmTopic(stack: Stack, key: kms.Key, settings: ServiceSettings): sns.ITopic {
  if (settings.alarmTopicArn) {
    new CfnOutput(stack, 'AlarmTopicArn', {
      description: 'The SNS topic every alarm notifies (given by context)',
      value: settings.alarmTopicArn,
    });
    return sns.Topic.fromTopicArn(stack, 'AlarmTopic', settings.alarmTopicArn);
  }
  const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  const fromOurAlarms = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
  };
  const topic = new sns.Topic(stack, 'AlarmTopic', {
    displayName: 'Service account tokens: alarms',
    masterKey: key,
    enforceSSL: true,
  });
  const allow = (actions: string[], resources: string[]) =>
    new iam.PolicyStatement({ principals: [cloudWatch], actions, resources, conditions: fromOurAlarms });
  topic.addToResourcePolicy(allow(['sns:Publish'], [topic.topicArn]));
  key.addToResourcePolicy(allow(['kms:Decrypt', 'kms:GenerateDataKey*'], ['*']));
  if (settings.alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));
  new CfnOutput(stack, 'AlarmTopicArn', {
    description: 'The SNS topic every alarm notifies: subscribe the on-call rota to it',
    value: topic.topicArn,
  });
  return topic;
}
