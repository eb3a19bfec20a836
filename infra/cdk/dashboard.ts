import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { apiMetric, lambdaMetric, serviceMetric, type StageOfApi } from './alarms.js';

export interface DashboardProps {
  name: string;
  api: StageOfApi;
  /** Function ids and names. */
  functions: { id: string; name: string }[];
  authorizerName: string;
  forwarderName: string;
  deadLettersQueueName: string;
  keyQueueName: string;
  logMetrics: Record<'authorizerFailures' | 'invalidApiKeys' | 'unrepairedDrift', cloudwatch.Metric>;
  webAclName: string | undefined;
  alarms: cloudwatch.IAlarm[];
}

const minute = Duration.minutes(1);
const fiveMinutes = Duration.minutes(5);
const hour = Duration.hours(1);

function chunks<T>(items: T[], size: number): T[][] {
  const count = Math.ceil(items.length / size);
  return Array.from({ length: count }, (_, index) => items.slice(index * size, (index + 1) * size));
}

const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
  new cloudwatch.GraphWidget({ title, left, width, height: 6 });

/**
 * One page for the stage: the alarms' state, the API as callers see it, the authorizer,
 * every function, the audit trail's way out, key capacity and the web ACL
 * (docs/operations.md walks through it).
 */
export function operationsDashboard(scope: Construct, props: DashboardProps): cloudwatch.Dashboard {
  const { api, authorizerName: authorizer, logMetrics } = props;
  const perFunction = (metricName: string, statistic: string) =>
    props.functions.map(({ id, name }) => lambdaMetric(metricName, name, statistic, fiveMinutes).with({ label: id }));
  const deadLetters = new cloudwatch.Metric({
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensionsMap: { QueueName: props.deadLettersQueueName },
    statistic: 'Maximum',
    period: fiveMinutes,
  });
  const rows: cloudwatch.IWidget[][] = [
    // A status widget takes at most 100 alarms.
    chunks(props.alarms, 100).map((alarms, index) => {
      const title = index === 0 ? 'Alarms' : 'Alarms (continued)';
      return new cloudwatch.AlarmStatusWidget({ title, alarms, width: 24, height: 6 });
    }),
    [
      graph('API requests', [apiMetric('Count', api, 'Sum', minute)]),
      graph('API 4XX and 5XX', [apiMetric('4XXError', api, 'Sum', minute), apiMetric('5XXError', api, 'Sum', minute)]),
      graph('API latency (ms)', [
        apiMetric('Latency', api, 'p50', minute),
        apiMetric('Latency', api, 'p99', minute),
        apiMetric('IntegrationLatency', api, 'p99', minute),
      ]),
    ],
    [
      graph('Authorizer duration (ms)', [
        lambdaMetric('Duration', authorizer, 'p50', minute),
        lambdaMetric('Duration', authorizer, 'p99', minute),
      ]),
      graph('Authorizer failures and invalid keys', [
        logMetrics.authorizerFailures.with({ label: 'authorizer failures' }),
        logMetrics.invalidApiKeys.with({ label: 'invalid API keys' }),
      ]),
      graph('Authorizer invocations (refusals included)', [
        lambdaMetric('Invocations', authorizer, 'Sum', minute),
        lambdaMetric('Errors', authorizer, 'Sum', minute),
      ]),
    ],
    [
      graph('Function errors', perFunction('Errors', 'Sum')),
      graph('Function throttles', perFunction('Throttles', 'Sum')),
      graph('Function duration p99 (ms)', perFunction('Duration', 'p99')),
    ],
    [
      graph('Audit dead letters', [deadLetters]),
      graph('Audit stream lag (ms)', [lambdaMetric('IteratorAge', props.forwarderName, 'Maximum', fiveMinutes)]),
      graph('Reconcile: drift left unrepaired; keys', [
        logMetrics.unrepairedDrift.with({ label: 'unrepaired drift', period: hour }),
        serviceMetric('RegionApiKeys', hour).with({ label: 'keys in the Region' }),
        serviceMetric('OwnApiKeys', hour).with({ label: 'keys of this stage' }),
      ]),
    ],
    [
      graph(
        'Key worker: queue depth and oldest change (s)',
        ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage'].map(
          (metricName) =>
            new cloudwatch.Metric({
              namespace: 'AWS/SQS',
              metricName,
              dimensionsMap: { QueueName: props.keyQueueName },
              statistic: 'Maximum',
              period: fiveMinutes,
            }),
        ),
        24,
      ),
    ],
  ];
  const webAcl = props.webAclName;
  if (webAcl) {
    const waf = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/WAFV2',
        metricName,
        dimensionsMap: { WebACL: webAcl, Region: Aws.REGION, Rule: 'ALL' },
        statistic: 'Sum',
        period: fiveMinutes,
      });
    rows.push([graph('Web ACL: allowed and blocked requests', [waf('AllowedRequests'), waf('BlockedRequests')], 24)]);
  }
  return new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: props.name,
    widgets: rows,
    defaultInterval: Duration.hours(3),
  });
}
