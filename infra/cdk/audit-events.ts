import { Duration, type Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { EVENT_SOURCE } from '../../shared/audit/eventbridge.js';
import type { ServiceFunction } from './service-function.js';

/**
 * The audit trail's way out: the table's stream invokes the forwarder for each new event
 * item (a filter on the stream leaves every other write out), which publishes it to the
 * stack's own EventBridge bus. A batch that keeps failing is retried, split to isolate the
 * bad record, and finally described in a dead-letter queue; nothing the user did waits
 * on it or fails with it.
 */
export function auditEvents(
  stack: Stack,
  table: dynamodb.Table,
  forwarder: ServiceFunction,
): { bus: events.EventBus; deadLetters: sqs.Queue } {
  const bus = new events.EventBus(stack, 'AuditEvents', {
    description: `Audit events of access tokens (source ${EVENT_SOURCE}, detail-type token.*)`,
  });
  const deadLetters = new sqs.Queue(stack, 'AuditEventsDeadLetters', {
    enforceSSL: true,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(deadLetters).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'This queue is itself the dead-letter destination of the audit-event forwarder.',
  });
  forwarder.function.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
  forwarder.function.addEventSource(
    new DynamoEventSource(table, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      bisectBatchOnError: true,
      retryAttempts: 10,
      maxRecordAge: Duration.days(1),
      onFailure: new SqsDlq(deadLetters),
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('INSERT'),
          // Events only: an account's incarnation records share the partitions of its trails.
          dynamodb: {
            Keys: {
              pk: { S: lambda.FilterRule.beginsWith('EVENTS#') },
              sk: { S: lambda.FilterRule.beginsWith('EVENT#') },
            },
          },
        }),
      ],
    }),
  );
  bus.grantPutEventsTo(forwarder.function);
  return { bus, deadLetters };
}
