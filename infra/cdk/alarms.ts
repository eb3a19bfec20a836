import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ALARMS, API_KEY_QUOTA } from '../alarm-catalog.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from './service-function.js';

export { ALARMS, API_KEY_QUOTA, LOG_METRICS } from '../alarm-catalog.js';

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
}

/** An alarm named after the stage and Region and what it watches, notifying the topic both ways. */
export function alarm(on: AlarmScope, id: string, title: string, props: AlarmProps): cloudwatch.Alarm {
  const created = new cloudwatch.Alarm(on.scope, id, {
    alarmName: `${on.prefix} ${title}`,
    alarmDescription: `${props.description} See docs/operations.md.`,
    metric: props.metric,
    threshold: props.threshold,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: props.evaluationPeriods ?? 1,
    datapointsToAlarm: props.datapointsToAlarm ?? props.evaluationPeriods ?? 1,
    // No data is no traffic, or no error: neither is a reason to page.
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
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

/** Alarms at 90 % of the account's quotas for usage plans and API keys, from the counts reconcile publishes. */
type QuotaAlarms = Record<'usagePlans' | 'apiKeys', cloudwatch.Alarm>;

export function quotaAlarms(on: AlarmScope, usagePlanQuota: number): QuotaAlarms {
  const quota = (id: string, kind: 'usagePlanQuota' | 'apiKeyQuota', metricName: string, limit: number, what: string) =>
    alarm(on, id, ALARMS[kind].title, {
      // Both quotas are shared with every API in the account and Region: running out would stop more than this service.
      description: `${what} of this service reached 90 % of the account's quota of ${limit} in this Region.`,
      metric: serviceMetric(metricName, Duration.hours(1)),
      threshold: Math.ceil(limit * 0.9),
    });
  return {
    usagePlans: quota('UsagePlanQuotaAlarm', 'usagePlanQuota', 'UsagePlans', usagePlanQuota, 'Usage plans'),
    apiKeys: quota('ApiKeyQuotaAlarm', 'apiKeyQuota', 'ApiKeys', API_KEY_QUOTA, 'API keys'),
  };
}
