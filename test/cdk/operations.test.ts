import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ALARMS } from '../../infra/cdk/alarms.js';
import { DEFAULT_SETTINGS } from '../../infra/cdk/settings.js';
import type { CfnResource } from 'aws-cdk-lib';
import { authorizer, deployFunctions, routes, scheduledFunctions, streamFunctions } from '../../infra/routes.js';
import { actionsOf, ofType, operationsStack, parentValue, render, type Resource } from './template-support.js';
import { resourcesOf } from './template-support.js';
import { type Statement, type Synthesized, synthesize } from './template-support.js';

/**
 * What watches a stage, from one synthesis with the default context (no bundling: only
 * the templates matter): the alarms and where they go, the dashboard,
 * and the gradual rollout they stop. The web ACL and the account around the stack:
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
    expect([...errors.keys()].sort()).toStrictEqual(
      functionIds()
        .filter((id) => id !== authorizer.id)
        .sort(),
    );
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
    for (const [prefix, threshold] of [
      ['AuthorizerFailures', 3],
      ['InvalidApiKeys', 5],
    ] as const) {
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
    const queue = ofType(synth.resources, 'AWS::SQS::Queue').find(([id]) => id.startsWith('AuditEvents'))![0];
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
    // Every key of the account in the Region, ours or not, at 80 % of the 10,000 no request raises.
    const regionKeys = { MetricName: 'RegionApiKeys', Threshold: 8000, Period: 3600, Statistic: 'Maximum' };
    const ofTheService = [{ Name: 'service', Value: 'service-account-tokens' }];
    expect(named('RegionApiKeysAlarm')).toMatchObject({ ...regionKeys, Dimensions: ofTheService });
    expect(alarms().some(([id]) => /UsagePlan/.test(id))).toBe(false);
    // A run that does not complete is missing data, and missing data fires.
    expect(named('ReconcileMissing')).toMatchObject({
      MetricName: 'ReconcileCompleted',
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      Threshold: 1,
    });
    // The key worker's dead letters, and a backlog that leaves tokens on their pooled keys.
    const keyQueue = (pattern: RegExp) =>
      ofType(synth.resources, 'AWS::SQS::Queue').find(([id]) => pattern.test(id))![0];
    const keyDeadLetters = named('KeyDeadLetters');
    expect(keyDeadLetters).toMatchObject({ ...visible, Threshold: 1 });
    expect(parent(keyDeadLetters.Dimensions[0].Value)).toStrictEqual({
      'Fn::GetAtt': [keyQueue(/^KeyWorkDeadLetters/), 'QueueName'],
    });
    expect(named('KeyBacklog')).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 900 });
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

describe('dashboard', () => {
  it('is named after stage and Region; shows the API, every function, the audit trail, capacity, the web ACL', () => {
    const [, dashboard] = ofType(ops(), 'AWS::CloudWatch::Dashboard')[0]!;
    expect(render(dashboard.Properties!.DashboardName)).toBe('ServiceAccountTokens-prod-operations-<AWS::Region>');
    const body = JSON.stringify(dashboard.Properties!.DashboardBody);
    const metrics = ['5XXError', 'Latency', 'IteratorAge', 'ApproximateNumberOfMessagesVisible', 'UnrepairedDrift'];
    metrics.push('RegionApiKeys', 'OwnApiKeys', 'AuthorizerFailures', 'InvalidApiKeys', 'BlockedRequests');
    for (const metric of metrics) {
      expect({ metric, shown: body.includes(`\\"${metric}\\"`) }).toStrictEqual({ metric, shown: true });
    }
    // Every function's errors, throttles and duration, by name.
    const [, nested] = operationsStack(synth);
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

describe('gradual rollout', () => {
  const aliased = () => [...routes.map((route) => route.id), authorizer.id];
  const aliasOf = (id: string) => {
    const fn = synth.stack.functions.get(id)!;
    return synth.resources[synth.stack.getLogicalId(fn.alias!.node.defaultChild as CfnResource)]!;
  };
  const nestedStackId = () => operationsStack(synth)[0];

  it('gives the authorizer and every route’s function a live alias on its current version', () => {
    expect(ofType(synth.resources, 'AWS::Lambda::Alias').length).toBe(aliased().length);
    for (const id of aliased()) {
      const { Name: name, FunctionName: fn, FunctionVersion: version } = aliasOf(id).Properties!;
      expect({ id, name, fn }).toStrictEqual({ id, name: 'live', fn: { Ref: synth.functionId(id) } });
      const versionId = version['Fn::GetAtt'][0] as string;
      const version_ = { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: synth.functionId(id) } } };
      expect(synth.resources[versionId]).toMatchObject(version_);
    }
    // Nothing that runs on a schedule, at deploy time or from the stream is rolled out by CodeDeploy.
    for (const { id } of [...scheduledFunctions, ...deployFunctions, ...streamFunctions]) {
      expect({ id, alias: synth.stack.functions.get(id)!.alias }).toStrictEqual({ id, alias: undefined });
    }
  });

  it('hands each alias’s move to CodeDeploy, canary by default, rolling back on its errors or the API’s 5XX', () => {
    const [applicationId] = ofType(synth.resources, 'AWS::CodeDeploy::Application')[0]!;
    const groups = new Map(
      ofType(ops(), 'AWS::CodeDeploy::DeploymentGroup').map(([, { Properties: group }]) => {
        return [group!.DeploymentGroupName as string, group!];
      }),
    );
    expect([...groups.keys()].sort()).toStrictEqual(aliased().sort());
    const alarmId = (prefix: string) => {
      return ofType(ops(), 'AWS::CloudWatch::Alarm').find(([id]) => id.startsWith(prefix))![0];
    };
    for (const id of aliased()) {
      const alias = aliasOf(id);
      const update = { ApplicationName: { Ref: applicationId }, DeploymentGroupName: id };
      const policy = { CodeDeployLambdaAliasUpdate: update };
      expect({ id, policy: alias.UpdatePolicy }).toStrictEqual({ id, policy });
      // The group and its alarms exist before CloudFormation hands CodeDeploy an alias to move.
      expect({ id, after: alias.DependsOn }).toStrictEqual({ id, after: [nestedStackId()] });
      const group = groups.get(id)!;
      expect(parentValue(synth, group.ApplicationName)).toStrictEqual({ Ref: applicationId });
      expect(group).toMatchObject({
        DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
        AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
      });
      const own = id === authorizer.id ? alarmId('AuthorizerFailures') : alarmId(`Errors${id.replaceAll('-', '')}`);
      const alarms = [own, alarmId('ApiServerErrors')].map((alarm) => ({ Name: { Ref: alarm } }));
      const rollbackOn = { Enabled: true, Alarms: alarms };
      expect({ id, alarms: group.AlarmConfiguration }).toStrictEqual({ id, alarms: rollbackOn });
    }
  });

  it('lets CodeDeploy move these aliases and read alarms, and nothing else', () => {
    const [roleId, role] = ofType(ops(), 'AWS::IAM::Role')[0]!;
    const trusted = role.Properties!.AssumeRolePolicyDocument.Statement[0].Principal;
    expect(trusted).toStrictEqual({ Service: 'codedeploy.amazonaws.com' });
    expect(role.Properties!.ManagedPolicyArns).toBe(undefined);
    const statements = ofType(ops(), 'AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties!.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(([, policy]) => policy.Properties!.PolicyDocument.Statement as Statement[]);
    const moveAlias = ['lambda:GetAlias', 'lambda:GetProvisionedConcurrencyConfig', 'lambda:UpdateAlias'];
    expect(statements.map(actionsOf)).toStrictEqual([moveAlias, ['cloudwatch:DescribeAlarms']]);
    const aliasArns = resourcesOf(statements[0]!).map((arn) => render(arn));
    expect(aliasArns.length).toBe(aliased().length);
    const aliasArn = /^arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:<referenceto\w+Ref>:live$/;
    for (const arn of aliasArns) expect(arn).toMatch(aliasArn);
    // The parameters are the aliased functions' names.
    const parameterOf = (arn: string) => ({ Ref: arn.split('<')[4]!.split('>')[0] });
    const names = aliasArns.map((arn) => (parentValue(synth, parameterOf(arn)) as { Ref: string }).Ref);
    expect(names.sort()).toStrictEqual(
      aliased()
        .map((id) => synth.functionId(id))
        .sort(),
    );
    expect(statements[1]!.Resource).toBe('*');
  });
});
