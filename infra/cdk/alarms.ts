import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ALARMS, API_KEY_ALARM_SHARE, API_KEY_QUOTA } from '../alarm-catalog.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from './service-function.js';

export { ALARMS, LOG_METRICS } from '../alarm-catalog.js';

/**
 * Every alarm of the stage, each with the topic as its alarm and OK action. What each
 * means and what to do about it: docs/operations.md, whose alarm table is generated from
 * `ALARMS` (infra/alarm-catalog.ts).
 */

export interface AlarmScope {
  scope: Construct;
  topic: sns.ITopic;
  /** Part of every alarm's name: the API stack's name (its stage) and the Region. */
  prefix: string;
}

export interface AlarmProps {
  metric: cloudwatch.IMetric;
  threshold: number;
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
  description: string;
  /** Fire below the threshold, and when there is no data at all (what should always be there). */
  whenMissing?: boolean;
}

/** An alarm named after the stage and Region and what it watches, notifying the topic both ways. */
export function alarm(on: AlarmScope, id: string, title: string, props: AlarmProps): cloudwatch.Alarm {
  const created = new cloudwatch.Alarm(on.scope, id, {
    alarmName: `${on.prefix} ${title}`,
    alarmDescription: `${props.description} See docs/operations.md.`,
    metric: props.metric,
    threshold: props.threshold,
    comparisonOperator: props.whenMissing
      ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
      : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: props.evaluationPeriods ?? 1,
    datapointsToAlarm: props.datapointsToAlarm ?? props.evaluationPeriods ?? 1,
    // No data is no traffic, or no error: neither is a reason to page; unless the metric is
    // one that should always be there.
    treatMissingData: props.whenMissing
      ? cloudwatch.TreatMissingData.BREACHING
      : cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  created.addAlarmAction(new actions.SnsAction(on.topic));
  created.addOkAction(new actions.SnsAction(on.topic));
  return created;
}

/** The `<stack> <Region>` every alarm name starts with. */
export const alarmPrefix = (stackName: string): string => `${stackName} ${Aws.REGION}`;

export const lambdaMetric = (metricName: string, functionName: string, statistic: string, period: Duration) =>
  new cloudwatch.Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: { FunctionName: functionName },
    statistic,
    period,
  });

export interface StageOfApi {
  apiName: string;
  stage: string;
}

export const apiMetric = (metricName: string, api: StageOfApi, statistic: string, period: Duration) =>
  new cloudwatch.Metric({
    namespace: 'AWS/ApiGateway',
    metricName,
    dimensionsMap: { ApiName: api.apiName, Stage: api.stage },
    statistic,
    period,
  });

/** The service's own metrics, as the functions publish them. */
export const serviceMetric = (metricName: string, period: Duration) =>
  new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic: cloudwatch.Stats.MAXIMUM,
    period,
  });

/**
 * A count of matching lines of a JSON log group, as a metric of the service's namespace,
 * with the dimension `dimension` taken from the line's field `field` (the API's id, the
 * function's name), so that stages in one account keep apart.
 */
export interface LogMetricOptions {
  logGroup: logs.ILogGroup;
  pattern: string;
  metricName: string;
  /** The dimension's name, the line's field it is read from, and the value this stage's lines have there. */
  dimension: string;
  field: string;
  value: string;
}

export function logMetric(scope: Construct, id: string, options: LogMetricOptions): cloudwatch.Metric {
  new logs.MetricFilter(scope, id, {
    logGroup: options.logGroup,
    filterPattern: logs.FilterPattern.literal(options.pattern),
    metricNamespace: METRICS_NAMESPACE,
    metricName: options.metricName,
    metricValue: '1',
    dimensions: { [options.dimension]: `$.${options.field}` },
  });
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: options.metricName,
    dimensionsMap: { [options.dimension]: options.value },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(1),
  });
}

/** The stage's alarms on its keys: the account's key count, the key worker's queues, reconcile's completion. */
export function keyAlarms(
  on: AlarmScope,
  queues: { keys: string; deadLetters: string },
  reconcileCompleted: cloudwatch.Metric,
): cloudwatch.Alarm[] {
  const queueMetric = (metricName: string, queueName: string, period: Duration) =>
    new cloudwatch.Metric({
      namespace: 'AWS/SQS',
      metricName,
      dimensionsMap: { QueueName: queueName },
      statistic: 'Maximum',
      period,
    });
  const fiveMinutes = Duration.minutes(5);
  return [
    alarm(on, 'RegionApiKeysAlarm', ALARMS.regionKeys.title, {
      // The quota is shared with every API in the account and Region: running out stops more than this service.
      description:
        `API keys of the account in this Region reached 80 % of the quota of ${API_KEY_QUOTA}, ` +
        'which no request raises.',
      metric: serviceMetric('RegionApiKeys', Duration.hours(1)),
      threshold: Math.ceil(API_KEY_QUOTA * API_KEY_ALARM_SHARE),
    }),
    alarm(on, 'KeyDeadLetters', ALARMS.keyDeadLetters.title, {
      description:
        'Key work failed five times and waits in the key worker’s dead-letter queue: a token may be on its pooled key.',
      metric: queueMetric('ApproximateNumberOfMessagesVisible', queues.deadLetters, fiveMinutes),
      threshold: 1,
    }),
    alarm(on, 'KeyBacklog', ALARMS.keyBacklog.title, {
      description: 'The oldest key change has waited 15 minutes or more: tokens wait on their pooled keys.',
      metric: queueMetric('ApproximateAgeOfOldestMessage', queues.keys, fiveMinutes),
      threshold: Duration.minutes(15).toSeconds(),
      evaluationPeriods: 3,
    }),
    alarm(on, 'ReconcileMissing', ALARMS.reconcileMissing.title, {
      description: 'No reconcile run completed in 3 hours: drift and the key count go unwatched.',
      metric: reconcileCompleted.with({ period: Duration.hours(3) }),
      threshold: 1,
      whenMissing: true,
    }),
  ];
}
