/**
 * The stage's alarms, in words: what each watches, when it fires, and its runbook section
 * in docs/operations.md, whose alarm table is generated from here (`npm run docs`). The
 * alarms themselves are made in infra/cdk/alarms.ts and infra/cdk/operations.ts.
 */

/** API keys per account and Region: 10,000, not adjustable (ours, one per limited owner, and every other API's). */
export const API_KEY_QUOTA = 10_000;

/** The share of the key quota at which the key count alarm fires. */
export const API_KEY_ALARM_SHARE = 0.8;
const quota = API_KEY_QUOTA.toLocaleString('en');

/** The metrics the stack derives from logs: it changes no code to watch them. */
export const LOG_METRICS = {
  authorizerFailures: 'AuthorizerFailures',
  invalidApiKeys: 'InvalidApiKeys',
  unrepairedDrift: 'UnrepairedDrift',
  reconcileCompleted: 'ReconcileCompleted',
} as const;

/** One alarm: what it watches and when it fires, in words (the docs' table), and its runbook section. */
export interface AlarmSpec {
  title: string;
  watches: string;
  fires: string;
  runbook: string;
}

/** The alarms by kind; `{function}` stands for each function's id. */
export const ALARMS = {
  errors: {
    title: 'errors of {function}',
    watches: 'AWS/Lambda `Errors` of the function (every function but the authorizer)',
    fires: '≥ 1 in a minute',
    runbook: 'function-errors',
  },
  throttles: {
    title: 'throttles of {function}',
    watches: 'AWS/Lambda `Throttles` of the function (every function)',
    fires: '≥ 1 in 5 minutes',
    runbook: 'function-throttles',
  },
  serverErrors: {
    title: 'API 5XX rate',
    watches: 'AWS/ApiGateway `5XXError` ÷ `Count` of the stage, once it has 20 requests a minute',
    fires: '≥ 1 % in 3 of 5 minutes',
    runbook: 'api-5xx',
  },
  latency: {
    title: 'API p99 latency',
    watches: 'AWS/ApiGateway `Latency` of the stage, p99',
    fires: '≥ 3000 ms for 15 minutes',
    runbook: 'api-latency',
  },
  authorizerFailures: {
    title: 'authorizer failures',
    watches:
      '`AuthorizerFailures`: access-log lines with AUTHORIZER_FAILURE or AUTHORIZER_CONFIGURATION_ERROR (the ' +
      'authorizer crashed, timed out, was throttled or could not be invoked; refusals are not failures)',
    fires: '≥ 3 a minute in 2 of 3 minutes',
    runbook: 'authorizer-failures',
  },
  authorizerDuration: {
    title: 'authorizer p99 duration',
    watches: 'AWS/Lambda `Duration` of the authorizer, p99',
    fires: '≥ 1000 ms for 15 minutes',
    runbook: 'authorizer-duration',
  },
  invalidApiKeys: {
    title: 'invalid API keys',
    watches:
      '`InvalidApiKeys`: access-log lines with INVALID_API_KEY ' +
      '(a valid token whose key API Gateway does not take: drift)',
    fires: '≥ 5 in 5 minutes',
    runbook: 'invalid-api-keys',
  },
  deadLetters: {
    title: 'audit events dead letters',
    watches: 'AWS/SQS `ApproximateNumberOfMessagesVisible` of the audit forwarder’s dead-letter queue',
    fires: '≥ 1',
    runbook: 'audit-dead-letters',
  },
  streamLag: {
    title: 'audit stream lag',
    watches: 'AWS/Lambda `IteratorAge` of the audit forwarder, maximum',
    fires: '≥ 10 minutes for 10 minutes',
    runbook: 'audit-stream-lag',
  },
  unrepairedDrift: {
    title: 'reconcile left drift unrepaired',
    watches:
      '`UnrepairedDrift`: reconcile’s “Drift not repaired” log lines (drift it could not queue, or could not read)',
    fires: '≥ 1 in an hour',
    runbook: 'reconcile-failures',
  },
  reconcileMissing: {
    title: 'reconcile did not complete',
    watches:
      '`ReconcileCompleted`: reconcile’s “Reconciled keys” log lines, one per completed run; no data is a failure',
    fires: '< 1 in 3 hours',
    runbook: 'reconcile-failures',
  },
  regionKeys: {
    title: 'API keys in the Region',
    watches: '`RegionApiKeys`: every API key of the account in the Region, ours or not, counted by reconcile hourly',
    fires: `≥ ${(API_KEY_QUOTA * API_KEY_ALARM_SHARE).toLocaleString('en')} (80 % of ${quota})`,
    runbook: 'key-capacity',
  },
  keyDeadLetters: {
    title: 'key worker dead letters',
    watches: 'AWS/SQS `ApproximateNumberOfMessagesVisible` of the key queue’s dead-letter queue',
    fires: '≥ 1',
    runbook: 'key-worker',
  },
  keyBacklog: {
    title: 'key queue backlog',
    watches: 'AWS/SQS `ApproximateAgeOfOldestMessage` of the key queue (the key worker falling behind)',
    fires: '≥ 15 minutes for 15 minutes',
    runbook: 'key-worker',
  },
} as const satisfies Record<string, AlarmSpec>;
