import { Duration, NestedStack, type Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  ALARMS,
  alarm,
  alarmPrefix,
  type AlarmScope,
  apiMetric,
  lambdaMetric,
  LOG_METRICS,
  logMetric,
  keyAlarms,
  type StageOfApi,
} from './alarms.js';
import { operationsDashboard } from './dashboard.js';
import { regionalName } from './names.js';
import { gradualRollout } from './rollout.js';
import type { ServiceFunction } from './service-function.js';
import type { ServiceSettings } from './settings.js';

export interface OperationsProps {
  settings: ServiceSettings;
  api: StageOfApi & { restApiId: string };
  /** Every function by id; those with an alias are rolled out gradually. */
  functions: Map<string, ServiceFunction>;
  authorizerId: string;
  forwarderId: string;
  reconcileId: string;
  accessLogs: logs.ILogGroup;
  deadLetters: sqs.IQueue;
  /** The key worker's queue and its dead-letter queue. */
  keyQueues: { keys: sqs.IQueue; deadLetters: sqs.IQueue };
  topic: sns.ITopic;
  application: codedeploy.ILambdaApplication;
  webAclName: string | undefined;
}

const minute = Duration.minutes(1);
const fiveMinutes = Duration.minutes(5);
const functionTitle = (kind: 'errors' | 'throttles', id: string) => ALARMS[kind].title.replace('{function}', id);
/** What Lambda counts as a failed invocation, in an errors alarm's description. */
const FAILURE_KINDS = 'an unhandled error, a timeout or running out of memory';

/**
 * What watches the stage, in a stack of its own inside the API's (a nested stack: the
 * alarms, the dashboard and the deployment groups are well over a hundred resources, which
 * the API's stack has no room for). Its parameters are the API stack's names and ARNs.
 */
export class OperationsStack extends NestedStack {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(parent: Stack, id: string, props: OperationsProps) {
    super(parent, id, { description: 'Alarms, dashboard and gradual rollout of the service account tokens API' });
    const { settings, api, functions } = props;
    const on: AlarmScope = { scope: this, topic: props.topic, prefix: alarmPrefix(settings.stackName) };
    const add = (created: cloudwatch.Alarm) => (this.alarms.push(created), created);
    const fn = (functionId: string) => functions.get(functionId) ?? fail(`No function ${functionId}`);
    const authorizer = fn(props.authorizerId);

    // Every function's errors but the authorizer's (a refusal is an error to Lambda: the
    // gateway's failures below are the authorizer's errors), and everyone's throttles.
    const errors = new Map<string, cloudwatch.Alarm>();
    for (const [functionId, service] of functions) {
      const name = service.function.functionName;
      if (functionId !== props.authorizerId) {
        errors.set(
          functionId,
          add(
            alarm(on, `Errors-${functionId}`, functionTitle('errors', functionId), {
              description: `The ${functionId} function failed (${FAILURE_KINDS}).`,
              metric: lambdaMetric('Errors', name, 'Sum', minute),
              threshold: 1,
            }),
          ),
        );
      }
      add(
        alarm(on, `Throttles-${functionId}`, functionTitle('throttles', functionId), {
          description: `Lambda refused to run the ${functionId} function: the account's concurrency is used up.`,
          metric: lambdaMetric('Throttles', name, 'Sum', fiveMinutes),
          threshold: 1,
        }),
      );
    }

    const accessLogMetric = (metricName: string, pattern: string) =>
      logMetric(this, `${metricName}Filter`, {
        logGroup: props.accessLogs,
        pattern,
        metricName,
        dimension: 'ApiId',
        field: 'apiId',
        value: api.restApiId,
      });
    const authorizerFailures = accessLogMetric(
      LOG_METRICS.authorizerFailures,
      '{ ($.errorType = "AUTHORIZER_FAILURE") || ($.errorType = "AUTHORIZER_CONFIGURATION_ERROR") }',
    );
    const invalidApiKeys = accessLogMetric(LOG_METRICS.invalidApiKeys, '{ $.errorType = "INVALID_API_KEY" }');
    const reconcile = fn(props.reconcileId);
    const reconcileMetric = (id: string, message: string, metricName: string) =>
      logMetric(this, id, {
        logGroup: reconcile.logGroup,
        pattern: `{ $.message = "${message}" }`,
        metricName,
        dimension: 'FunctionName',
        field: 'function_name',
        value: reconcile.function.functionName,
      });
    const unrepairedDrift = reconcileMetric('UnrepairedDriftFilter', 'Drift not repaired', LOG_METRICS.unrepairedDrift);
    const reconcileCompleted = reconcileMetric(
      'ReconcileCompletedFilter',
      'Reconciled keys',
      LOG_METRICS.reconcileCompleted,
    );

    const serverErrors = add(
      alarm(on, 'ApiServerErrors', ALARMS.serverErrors.title, {
        description: 'The API answered 5XX to at least 1 % of its requests.',
        // Below 20 requests a minute a single failure is not a rate worth paging on.
        metric: new cloudwatch.MathExpression({
          expression: 'IF(requests >= 20, 100 * failed / requests, 0)',
          usingMetrics: {
            failed: apiMetric('5XXError', api, 'Sum', minute),
            requests: apiMetric('Count', api, 'Sum', minute),
          },
          label: '5XX %',
          period: minute,
        }),
        threshold: 1,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
      }),
    );
    add(
      alarm(on, 'ApiLatency', ALARMS.latency.title, {
        description: 'The API took 3 s or more for its slowest 1 % of requests, for 15 minutes.',
        metric: apiMetric('Latency', api, 'p99', fiveMinutes),
        threshold: 3000,
        evaluationPeriods: 3,
      }),
    );
    const authorizerFailed = add(
      alarm(on, 'AuthorizerFailures', ALARMS.authorizerFailures.title, {
        description: 'API Gateway could not get an answer from the authorizer: callers got 503.',
        metric: authorizerFailures,
        threshold: 3,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      }),
    );
    add(
      alarm(on, 'AuthorizerDuration', ALARMS.authorizerDuration.title, {
        description: 'The authorizer took 1 s or more for its slowest 1 % of requests, for 15 minutes.',
        metric: lambdaMetric('Duration', authorizer.function.functionName, 'p99', fiveMinutes),
        threshold: 1000,
        evaluationPeriods: 3,
      }),
    );
    add(
      alarm(on, 'InvalidApiKeys', ALARMS.invalidApiKeys.title, {
        description: 'Valid tokens presented API keys that API Gateway refused (key drift): callers got 503.',
        metric: invalidApiKeys.with({ period: fiveMinutes }),
        threshold: 5,
      }),
    );
    add(
      alarm(on, 'AuditDeadLetters', ALARMS.deadLetters.title, {
        description: 'Audit events could not be forwarded to the event bus and wait in the dead-letter queue.',
        metric: new cloudwatch.Metric({
          namespace: 'AWS/SQS',
          metricName: 'ApproximateNumberOfMessagesVisible',
          dimensionsMap: { QueueName: props.deadLetters.queueName },
          statistic: 'Maximum',
          period: fiveMinutes,
        }),
        threshold: 1,
      }),
    );
    const forwarder = fn(props.forwarderId);
    add(
      alarm(on, 'AuditStreamLag', ALARMS.streamLag.title, {
        description: 'The oldest audit event not yet forwarded from the table’s stream is 10 minutes old or more.',
        metric: lambdaMetric('IteratorAge', forwarder.function.functionName, 'Maximum', fiveMinutes),
        threshold: Duration.minutes(10).toMilliseconds(),
        evaluationPeriods: 2,
      }),
    );
    add(
      alarm(on, 'ReconcileDrift', ALARMS.unrepairedDrift.title, {
        description:
          'Reconcile found drift between tokens and API Gateway keys that it could not queue for the key worker.',
        metric: unrepairedDrift.with({ period: Duration.hours(1) }),
        threshold: 1,
      }),
    );
    const queues = { keys: props.keyQueues.keys.queueName, deadLetters: props.keyQueues.deadLetters.queueName };
    for (const created of keyAlarms(on, queues, reconcileCompleted)) add(created);

    // A new version is moved back when its function fails, or the API answers 5XX, meanwhile.
    const ownAlarm = (functionId: string) => {
      if (functionId === props.authorizerId) return authorizerFailed;
      return errors.get(functionId) ?? fail(`No errors alarm for ${functionId}`);
    };
    const targets = [...functions]
      .filter(([, service]) => service.alias)
      .map(([functionId, service]) => ({ id: functionId, fn: service, alarms: [ownAlarm(functionId), serverErrors] }));
    gradualRollout(this, props.application, targets, settings.rollout);

    operationsDashboard(this, {
      name: regionalName(parent, 'operations', 255),
      api,
      functions: [...functions].map(([id, service]) => ({ id, name: service.function.functionName })),
      authorizerName: authorizer.function.functionName,
      forwarderName: forwarder.function.functionName,
      deadLettersQueueName: props.deadLetters.queueName,
      keyQueueName: props.keyQueues.keys.queueName,
      logMetrics: { authorizerFailures, invalidApiKeys, unrepairedDrift },
      webAclName: props.webAclName,
      alarms: this.alarms,
    });
  }
}

function fail(message: string): never {
  throw new Error(message);
}
