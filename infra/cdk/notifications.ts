import type { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { EVENT_SOURCE } from '../../shared/audit/eventbridge.js';

/** The audit events owners are told about, by e-mail or whatever subscribes to the topic. */
export const NOTIFIED_EVENTS = ['token.expiring', 'token.expired', 'token.suspended_unused', 'token.exposed'] as const;

const field = (path: string) => events.EventField.fromPath(`$.detail.${path}`);

/**
 * One readable message per event type: which account and token, when, and what to do.
 * `base` is the API's URL (ending in `/`). A rotation keeps a token's expiry, so an
 * expiring token is replaced by a new one, not rotated.
 */
export function noticeMessage(type: (typeof NOTIFIED_EVENTS)[number], base: string): string {
  const token = `access token "${field('tokenName')}" of service account ${field('serviceAccountId')}`;
  const tokens = `${base}api/v1/auth/service-accounts/${field('serviceAccountId')}/tokens`;
  const replace =
    `To rotate it: create a new token for the account (POST ${tokens} with a later expiresAt), put its secret ` +
    `where your pipeline reads it, then delete this one (DELETE ${tokens}/${field('tokenName')}).`;
  switch (type) {
    case 'token.expiring':
      return (
        `The ${token} expires at ${field('details.expiresAt')}, in ${field('details.daysBefore')} day(s). ` +
        `${replace} Rotating this token itself keeps its expiry.`
      );
    case 'token.expired':
      return `The ${token} expired at ${field('details.expiresAt')}: calls made with it are refused (401). ${replace}`;
    case 'token.suspended_unused':
      return (
        `The ${token} was suspended at ${field('time')}: unused since ${field('details.inactiveSince')} ` +
        `(${field('details.unusedDays')} days). If it is still needed, reactivate it (PATCH ` +
        `${tokens}/${field('tokenName')} with {"status":"ACTIVE"}); otherwise delete it.`
      );
    case 'token.exposed':
      return (
        `The ${token} was found in public by GitHub secret scanning (${field('details.source')} ` +
        `${field('details.url')}) and suspended at ${field('time')}. Rotate it (POST ` +
        `${tokens}/${field('tokenName')}/rotate with {"gracePeriodSeconds":0,"force":true}), put the new secret ` +
        `where your pipeline reads it, then reactivate it (PATCH ${tokens}/${field('tokenName')} with ` +
        `{"status":"ACTIVE"}). If it was a false alarm, only reactivate it.`
      );
  }
}

/**
 * The key of the service's topics (the notices and, unless an existing one is used, the
 * alarms): the AWS managed SNS key would let neither EventBridge nor CloudWatch publish.
 */
export function topicsKey(stack: Stack, removalPolicy: RemovalPolicy): kms.Key {
  const key = new kms.Key(stack, 'NotificationsKey', {
    description: 'Encrypts the lifecycle notices topic and the alarm topic',
    enableKeyRotation: true,
    removalPolicy,
  });
  // EventBridge encrypts what it publishes with the topic's key. Its request to KMS carries
  // no source account or ARN, so this grant can take no such condition
  // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
  key.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');
  return key;
}

/**
 * The topic owners subscribe to for lifecycle notices: a rule on the audit bus per notified
 * event type, each turning the event into a readable message, and an optional e-mail
 * subscription (context `notifyEmail`). The topic is encrypted with the service's key and
 * refuses plain HTTP; EventBridge may publish to it for these rules only.
 */
export interface NoticesOptions {
  notifyEmail: string | undefined;
  key: kms.IKey;
}

export function lifecycleNotifications(stack: Stack, bus: events.IEventBus, apiUrl: string, options: NoticesOptions) {
  const topic = new sns.Topic(stack, 'LifecycleNotices', {
    displayName: 'Access token notices',
    masterKey: options.key,
    enforceSSL: true,
  });
  const rules = NOTIFIED_EVENTS.map(
    (type) =>
      new events.Rule(stack, `Notify-${type.replace(/[^A-Za-z]/g, '')}`, {
        eventBus: bus,
        description: `Sends ${type} events to the notices topic`,
        eventPattern: { source: [EVENT_SOURCE], detailType: [type] },
        targets: [
          {
            bind: () => ({
              arn: topic.topicArn,
              input: events.RuleTargetInput.fromText(noticeMessage(type, apiUrl)),
              retryPolicy: { maximumRetryAttempts: 8 },
            }),
          },
        ],
      }),
  );
  // The statement CDK's SnsTopic target would add names no rule: any rule of any account
  // could publish here. This one names the four
  // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions).
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { ArnEquals: { 'aws:SourceArn': rules.map((rule) => rule.ruleArn) } },
    }),
  );
  if (options.notifyEmail) topic.addSubscription(new subscriptions.EmailSubscription(options.notifyEmail));
  return topic;
}
