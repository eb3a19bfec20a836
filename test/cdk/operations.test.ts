import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ALARMS, API_KEY_QUOTA } from '../../infra/cdk/alarms.js';
import { DEFAULT_SETTINGS } from '../../infra/cdk/settings.js';
import { PROJECT_ROOT } from '../../infra/cdk/service-function.js';
import { SERVICE_METRICS, stageShape } from '../../bench/cost-model.js';
import { authorizer, streamFunctions } from '../../infra/routes.js';
import { ofType, parentValue, render, type Resource } from './template-support.js';
import { type Statement, type Synthesized, synthesize } from './template-support.js';

/**
 * What watches a stage, from one synthesis with the default context (no bundling: only
 * the templates matter): the alarms and where they go, what they cost, the dashboard.
 * Gradual rollout: stack.test.ts; the web ACL and the account around the stack:
 * perimeter.test.ts.
 */

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize({ bundle: false });
});
afterAll(() => synth?.cleanup());

const ops = () => synth.operations.resources;
const parent = (value: unknown) => parentValue(synth, value);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const functionIds = () => [...synth.stack.functions.keys()];
const fnRef = (id: string) => ({ Ref: synth.functionId(id) });
const alarmTopicId = () => ofType(synth.resources, 'AWS::SNS::Topic').find(([id]) => id.startsWith('AlarmTopic'))![0];
const alarms = () => ofType(ops(), 'AWS::CloudWatch::Alarm');

/** The alarms on a metric of a function, by the function id their dimension names. */
function functionAlarms(metricName: string): Map<string, Resource> {
  const byFunction = new Map<string, Resource>();
  const onMetric = alarms().filter(([, { Properties: props }]) => {
    return props!.Namespace === 'AWS/Lambda' && props!.MetricName === metricName;
  });
  for (const [, alarm] of onMetric) {
    const dimensions = alarm.Properties!.Dimensions as { Name: string; Value: unknown }[];
    const name = parent(dimensions.find((entry) => entry.Name === 'FunctionName')!.Value);
    const id = functionIds().find((candidate) => same(name, fnRef(candidate)));
    if (!id) throw new Error(`${metricName} alarm on an unknown function`);
    byFunction.set(id, alarm);
  }
  return byFunction;
}

/** The properties of the alarm whose construct id starts with `prefix`. */
function named(prefix: string): Record<string, any> {
  const found = alarms().filter(([id]) => id.startsWith(prefix));
  expect(found.length).toBe(1);
  return found[0]![1].Properties!;
}

const api = { ApiName: 'ServiceAccountTokens-prod', Stage: DEFAULT_SETTINGS.stageName };
const dimensions = (entries: Record<string, unknown>) => {
  return Object.entries(entries).map(([Name, Value]) => ({ Name, Value }));
};

describe('alarms', () => {
  it('send their alarm and their recovery to the stack’s alarm topic, every one', () => {
    expect(alarms().length).toBe(2 * functionIds().length - 1 + Object.keys(ALARMS).length - 2);
    const topic = [{ Ref: alarmTopicId() }];
    for (const [id, alarm] of alarms()) {
      const { AlarmActions: onAlarm, OKActions: onOk, AlarmName: name } = alarm.Properties!;
      const actions = { id, onAlarm: onAlarm.map(parent), onOk: onOk.map(parent) };
      expect(actions).toStrictEqual({ id, onAlarm: topic, onOk: topic });
      expect(render(name)).toMatch(/^ServiceAccountTokens-prod <AWS::Region> /);
      expect(alarm.Properties!.AlarmDescription).toMatch(/See docs\/operations\.md\.$/);
    }
  });

  it('watch every function’s throttles, its errors but the authorizer’s (whose refusals are errors to Lambda)', () => {
    const throttles = functionAlarms('Throttles');
    const errors = functionAlarms('Errors');
    expect([...throttles.keys()].sort()).toStrictEqual(functionIds().sort());
    expect([...errors.keys()].sort()).toStrictEqual(functionIds().filter((id) => id !== authorizer.id).sort());
    const oneInAMinute = { Statistic: 'Sum', Period: 60, Threshold: 1, EvaluationPeriods: 1 };
    for (const alarm of errors.values()) {
      expect(alarm.Properties).toMatchObject({ ...oneInAMinute, TreatMissingData: 'notBreaching' });
    }
    const oneInFive = { Statistic: 'Sum', Period: 300, Threshold: 1 };
    for (const alarm of throttles.values()) expect(alarm.Properties).toMatchObject(oneInFive);
  });

  it('watch the API’s 5XX rate (once there is traffic) and its p99 latency', () => {
    const serverErrors = named('ApiServerErrors');
    const [expression, ...inputs] = serverErrors.Metrics as any[];
    expect(expression.Expression).toBe('IF(requests >= 20, 100 * failed / requests, 0)');
    const metrics = inputs.map(({ Id, MetricStat: { Metric: metric } }) => [Id, metric.MetricName, metric.Dimensions]);
    expect(metrics).toStrictEqual([
      ['failed', '5XXError', dimensions(api)],
      ['requests', 'Count', dimensions(api)],
    ]);
    expect(serverErrors).toMatchObject({ Threshold: 1, EvaluationPeriods: 5, DatapointsToAlarm: 3 });
    const latency = { Namespace: 'AWS/ApiGateway', MetricName: 'Latency', ExtendedStatistic: 'p99', Threshold: 3000 };
    expect(named('ApiLatency')).toMatchObject({ ...latency, Dimensions: dimensions(api) });
  });

  it('watch the authorizer’s failures (counted from the access log, by API id), its p99 duration, refused keys', () => {
    const filters = ofType(ops(), 'AWS::Logs::MetricFilter').map(([, filter]) => filter.Properties!);
    const accessLogs = ofType(synth.resources, 'AWS::Logs::LogGroup').find(([id]) => id.startsWith('AccessLogs'))![0];
    const onAccessLogs = filters.filter((filter) => same(parent(filter.LogGroupName), { Ref: accessLogs }));
    const byApi = [{ Key: 'ApiId', Value: '$.apiId' }];
    const failures = '{ ($.errorType = "AUTHORIZER_FAILURE") || ($.errorType = "AUTHORIZER_CONFIGURATION_ERROR") }';
    const counted = onAccessLogs.map(({ FilterPattern: pattern, MetricTransformations: [metric] }) => {
      return [pattern, metric.MetricName, metric.Dimensions];
    });
    expect(counted).toStrictEqual([
      [failures, 'AuthorizerFailures', byApi],
      ['{ $.errorType = "INVALID_API_KEY" }', 'InvalidApiKeys', byApi],
    ]);
    const apiId = ofType(synth.resources, 'AWS::ApiGateway::RestApi')[0]![0];
    for (const [prefix, threshold] of [['AuthorizerFailures', 3], ['InvalidApiKeys', 5]] as const) {
      const alarm = named(prefix);
      const found = { prefix, threshold: alarm.Threshold, namespace: alarm.Namespace, metric: alarm.MetricName };
      expect(found).toStrictEqual({ prefix, threshold, namespace: 'ServiceAccountTokens', metric: prefix });
      expect(parent(alarm.Dimensions[0].Value)).toStrictEqual({ Ref: apiId });
    }
    const duration = named('AuthorizerDuration');
    expect(duration).toMatchObject({ MetricName: 'Duration', ExtendedStatistic: 'p99', Threshold: 1000 });
    expect(parent(duration.Dimensions[0].Value)).toStrictEqual(fnRef(authorizer.id));
  });

  it('watch the audit trail’s dead letters and stream lag, reconcile’s unrepaired drift and the key quotas', () => {
    const queue = ofType(synth.resources, 'AWS::SQS::Queue')[0]![0];
    const deadLetters = named('AuditDeadLetters');
    const visible = { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' };
    expect(deadLetters).toMatchObject({ ...visible, Threshold: 1 });
    expect(parent(deadLetters.Dimensions[0].Value)).toStrictEqual({ 'Fn::GetAtt': [queue, 'QueueName'] });
    const lag = named('AuditStreamLag');
    expect(lag).toMatchObject({ MetricName: 'IteratorAge', Statistic: 'Maximum', Threshold: 600_000 });
    expect(parent(lag.Dimensions[0].Value)).toStrictEqual(fnRef(streamFunctions[0]!.id));
    const filters = ofType(ops(), 'AWS::Logs::MetricFilter');
    const isDrift = ([, filter]: [string, Resource]) => filter.Properties!.FilterPattern.includes('Drift not repaired');
    const [, driftFilter] = filters.find(isDrift)!;
    const drift = driftFilter.Properties!;
    const reconcile = synth.resources[synth.functionId('reconcile')]!;
    expect(parent(drift.LogGroupName)).toStrictEqual(reconcile.Properties!.LoggingConfig.LogGroup);
    const byFunction = [{ Key: 'FunctionName', Value: '$.function_name' }];
    expect(drift.MetricTransformations[0].Dimensions).toStrictEqual(byFunction);
    expect(named('ReconcileDrift')).toMatchObject({ MetricName: 'UnrepairedDrift', Period: 3600, Threshold: 1 });
    const usagePlans = { MetricName: 'UsagePlans', Threshold: 270, Period: 3600, Statistic: 'Maximum' };
    expect(named('UsagePlanQuotaAlarm')).toMatchObject(usagePlans);
    const apiKeys = { MetricName: 'ApiKeys', Threshold: API_KEY_QUOTA * 0.9 };
    const ofTheService = [{ Name: 'service', Value: 'service-account-tokens' }];
    expect(named('ApiKeyQuotaAlarm')).toMatchObject({ ...apiKeys, Dimensions: ofTheService });
  });

  it('go to a topic of the stack, which only this account’s alarms may publish to and whose key they may use', () => {
    const topic = synth.resources[alarmTopicId()]!;
    const key = topic.Properties!.KmsMasterKeyId['Fn::GetAtt'][0] as string;
    const account = { Ref: 'AWS::AccountId' };
    const region = { Ref: 'AWS::Region' };
    const alarmArns = ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', region, ':', account, ':alarm:*'];
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': account },
      ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', alarmArns] } },
    };
    const cloudWatch = { Service: 'cloudwatch.amazonaws.com' };
    type Held = Statement & { Principal?: unknown; Sid?: string };
    const policies = ofType(synth.resources, 'AWS::SNS::TopicPolicy');
    const [, policy] = policies.find(([, p]) => same(p.Properties!.Topics, [{ Ref: alarmTopicId() }]))!;
    const statements = policy.Properties!.PolicyDocument.Statement as Held[];
    const allows = statements.filter((statement) => statement.Effect === 'Allow').map(({ Sid: _sid, ...rest }) => rest);
    const allow = { Effect: 'Allow', Principal: cloudWatch };
    const publish = { ...allow, Action: 'sns:Publish', Resource: { Ref: alarmTopicId() } };
    expect(allows).toStrictEqual([{ ...publish, Condition: fromOurAlarms }]);
    const keyStatements = synth.resources[key]!.Properties!.KeyPolicy.Statement as Held[];
    const keyGrant = keyStatements.filter((statement) => same(statement.Principal, cloudWatch));
    const use = { ...allow, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' };
    expect(keyGrant).toStrictEqual([{ ...use, Condition: fromOurAlarms }]);
    expect(synth.outputs.AlarmTopicArn.Value).toStrictEqual({ Ref: alarmTopicId() });
  });
});

describe('what a stage costs a month', () => {
  it('counts the alarm metrics, functions and methods the stack has', () => {
    const shape = stageShape({ waf: true, commonRuleSet: true, detailedApiMetrics: true });
    const metricsOf = (alarm: Resource) => {
      const metrics = alarm.Properties!.Metrics as { MetricStat?: unknown }[] | undefined;
      return metrics ? metrics.filter((entry) => entry.MetricStat).length : 1;
    };
    const alarmMetrics = alarms().reduce((sum, [, alarm]) => sum + metricsOf(alarm), 0);
    const methods = ofType(synth.resources, 'AWS::ApiGateway::Method').length;
    const counted = { alarmMetrics: shape.alarmMetrics, functions: shape.functions, methods: shape.methods };
    expect(counted).toStrictEqual({ alarmMetrics, functions: functionIds().length, methods });
  });

  it('counts every metric the code publishes', () => {
    const published = new Set<string>();
    const visit = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) visit(path);
        else if (/\.m?ts$/.test(entry.name)) {
          for (const [, name] of readFileSync(path, 'utf8').matchAll(/addMetric\('(\w+)'/g)) published.add(name!);
        }
      }
    };
    for (const dir of ['shared', 'functions']) visit(join(PROJECT_ROOT, dir));
    expect([...published].sort()).toStrictEqual([...SERVICE_METRICS].sort());
  });
});

describe('dashboard', () => {
  it('is named after stage and Region; shows the API, every function, the audit trail, capacity, the web ACL', () => {
    const [, dashboard] = ofType(ops(), 'AWS::CloudWatch::Dashboard')[0]!;
    expect(render(dashboard.Properties!.DashboardName)).toBe('ServiceAccountTokens-prod-operations-<AWS::Region>');
    const body = JSON.stringify(dashboard.Properties!.DashboardBody);
    const metrics = ['5XXError', 'Latency', 'IteratorAge', 'ApproximateNumberOfMessagesVisible', 'UnrepairedDrift'];
    metrics.push('UsagePlans', 'ApiKeys', 'AuthorizerFailures', 'InvalidApiKeys', 'BlockedRequests');
    for (const metric of metrics) {
      expect({ metric, shown: body.includes(`\\"${metric}\\"`) }).toStrictEqual({ metric, shown: true });
    }
    // Every function's errors, throttles and duration, by name.
    const [, nested] = ofType(synth.resources, 'AWS::CloudFormation::Stack')[0]!;
    for (const id of functionIds()) {
      const [parameter] = Object.entries(nested.Properties!.Parameters).find(([, value]) => same(value, fnRef(id)))!;
      // Beyond those three: the authorizer's own row (duration twice, invocations, errors), the
      // forwarder's stream lag, reconcile's unrepaired drift.
      const more = { [authorizer.id]: 4, [streamFunctions[0]!.id]: 1, reconcile: 1 }[id] ?? 0;
      expect({ id, shown: body.split(`"Ref":"${parameter}"`).length - 1 }).toStrictEqual({ id, shown: 3 + more });
    }
    expect(body).toContain('alarm');
  });
});
