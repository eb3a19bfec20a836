import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validations } from 'aws-cdk-lib';
import { DEFAULT_OPERATIONS } from '../../infra/cdk/operations-settings.js';
import { DEFAULT_SETTINGS } from '../../infra/cdk/settings.js';
import { anonymousRouteLimits, COUNTED_COMMON_RULES } from '../../infra/cdk/waf.js';
import { routePathPattern, WAF_RETRY_AFTER_SECONDS } from '../../infra/cdk/waf.js';
import { problemType } from '../../shared/http/problem.js';
import { routes } from '../../infra/routes.js';
import { SERVICE_METRICS, stageShape } from '../../bench/cost-model.js';
import { PROJECT_ROOT } from '../../infra/cdk/service-function.js';
import { ofType, render, type Resource, type Synthesized, synthesize } from './template-support.js';

/**
 * The stage's edges: the web ACL in front of it, what it leaves alone in the account, the
 * stacks' headroom under CloudFormation's resource limit, what a stage costs a month by
 * the count of its parts, and what context turns off (the web ACL, the stack's own alarm
 * topic, the console), from two syntheses without bundling.
 */

let synth: Synthesized;
let bare: Synthesized;
const PAGER = 'arn:aws:sns:eu-west-1:123456789012:platform-pager';
beforeAll(() => {
  synth = synthesize({ bundle: false });
  // With cdk-nag registered, as `npm run synth` registers it: a stage without its web ACL
  // must be acknowledged, not silent.
  bare = synthesize({ bundle: false, nag: true, context: { waf: 'false', alarmTopicArn: PAGER, console: 'false' } });
});
afterAll(() => {
  synth?.cleanup();
  bare?.cleanup();
});

interface Rule {
  Name: string;
  Priority: number;
  Statement: Record<string, any>;
  Action?: Record<string, any>;
  OverrideAction?: Record<string, any>;
  VisibilityConfig: { SampledRequestsEnabled: boolean; CloudWatchMetricsEnabled: boolean };
}
const acl = () => ofType(synth.resources, 'AWS::WAFv2::WebACL')[0]!;
const rules = () => acl()[1].Properties!.Rules as Rule[];
const rule = (name: string) => rules().find((candidate) => candidate.Name === name)!;
/** The path a rule's scope-down (or its negation) matches, as a RegExp (WAF's syntax is the same for these). */
const pathOf = (statement: Record<string, any>) => new RegExp(statement.RegexMatchStatement.RegexString as string);
const only = (resources: Synthesized['resources'], type: string) => ofType(resources, type)[0]!;

describe('web ACL', () => {
  it('guards the stage: regional, named after stage and Region, metrics on, sampled requests (credentials) off', () => {
    const [aclId, { Properties: props }] = acl();
    expect(props!.Scope).toBe('REGIONAL');
    expect(render(props!.Name)).toBe('ServiceAccountTokens-prod-api-<AWS::Region>');
    expect(props!.DefaultAction).toStrictEqual({ Allow: {} });
    const [, association] = only(synth.resources, 'AWS::WAFv2::WebACLAssociation');
    const [stageId] = only(synth.resources, 'AWS::ApiGateway::Stage');
    const [apiId] = only(synth.resources, 'AWS::ApiGateway::RestApi');
    expect(association.Properties!.WebACLArn).toStrictEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    const stageArn = `arn:<AWS::Partition>:apigateway:<AWS::Region>::/restapis/<${apiId}>/stages/<${stageId}>`;
    expect(render(association.Properties!.ResourceArn)).toBe(stageArn);
    const visibilities = [...rules(), { Name: 'web ACL', VisibilityConfig: props!.VisibilityConfig }];
    for (const { Name, VisibilityConfig: visibility } of visibilities) {
      const seen = { Name, sampled: visibility.SampledRequestsEnabled, metrics: visibility.CloudWatchMetricsEnabled };
      expect(seen).toStrictEqual({ Name, sampled: false, metrics: true });
    }
  });

  it('limits each address on each route anyone may call, then on the whole API, answering 429 with Retry-After', () => {
    const names = ['TokenExchangePerIp', 'SecretScanningPerIp', 'PerIp', 'CommonRuleSet'];
    expect(rules().map((candidate) => candidate.Name)).toStrictEqual(names);
    expect(rules().map((candidate) => candidate.Priority)).toStrictEqual([0, 1, 2, 3]);
    const limits = {
      TokenExchangePerIp: DEFAULT_OPERATIONS.wafTokenExchangeRateLimit,
      SecretScanningPerIp: DEFAULT_OPERATIONS.wafSecretScanningRateLimit,
      PerIp: DEFAULT_OPERATIONS.wafRateLimit,
    };
    const refusal = {
      ResponseCode: 429,
      CustomResponseBodyKey: 'rateLimited',
      ResponseHeaders: [{ Name: 'Retry-After', Value: String(WAF_RETRY_AFTER_SECONDS) }],
    };
    for (const [name, limit] of Object.entries(limits)) {
      const {
        Statement: { RateBasedStatement: rate },
        Action: action,
      } = rule(name);
      const counted = { name, limit: rate.Limit, key: rate.AggregateKeyType, window: rate.EvaluationWindowSec };
      expect(counted).toStrictEqual({ name, limit, key: 'IP', window: 300 });
      expect({ name, action }).toStrictEqual({ name, action: { Block: { CustomResponse: refusal } } });
    }
    expect(rule('PerIp').Statement.RateBasedStatement.ScopeDownStatement).toBe(undefined);
    const body = acl()[1].Properties!.CustomResponseBodies.rateLimited;
    expect(body.ContentType).toBe('APPLICATION_JSON');
    const problem = { type: problemType('THROTTLED'), status: 429, code: 'THROTTLED' };
    expect(JSON.parse(body.Content as string)).toMatchObject(problem);
  });

  it('scopes each route’s limit to that route, however the path is encoded or prefixed, and to no other route', () => {
    const exchange = rule('TokenExchangePerIp').Statement.RateBasedStatement.ScopeDownStatement;
    const scanning = rule('SecretScanningPerIp').Statement.RateBasedStatement.ScopeDownStatement;
    for (const statement of [exchange, scanning]) {
      expect(statement.RegexMatchStatement.FieldToMatch).toStrictEqual({ UriPath: {} });
      expect(statement.RegexMatchStatement.TextTransformations).toStrictEqual([{ Priority: 0, Type: 'URL_DECODE' }]);
    }
    const matches = (statement: Record<string, any>, path: string) => ({ path, matched: pathOf(statement).test(path) });
    // The stage (or a custom domain's base path) comes first; a trailing slash reaches the same route.
    for (const path of ['/prod/api/v1/auth/token', '/api/v1/auth/token', '/prod/api/v1/auth/token/']) {
      expect(matches(exchange, path)).toStrictEqual({ path, matched: true });
    }
    const others = routes.filter((route) => route.id !== 'exchange-token');
    const paths = others.map((route) => `/prod${route.path.replace(/\{[^}]+\}/g, 'x')}`);
    for (const path of paths) expect(matches(exchange, path)).toStrictEqual({ path, matched: false });
    expect(pathOf(scanning).test('/prod/api/v1/secret-scanning/github')).toBe(true);
    expect(pathOf(scanning).test('/prod/api/v1/auth/token')).toBe(false);
    // A path parameter is one segment.
    const tokens = new RegExp(routePathPattern('/api/v1/auth/service-accounts/{serviceAccountId}/tokens'));
    expect(tokens.test('/prod/api/v1/auth/service-accounts/sa-etl/tokens')).toBe(true);
    expect(tokens.test('/prod/api/v1/auth/service-accounts/a/b/tokens')).toBe(false);
  });

  it('applies AWS’s common rule set to all but GitHub’s signed reports, counting its 8 KB body rule', () => {
    const common = rule('CommonRuleSet');
    expect(common.OverrideAction).toStrictEqual({ None: {} });
    const group = common.Statement.ManagedRuleGroupStatement;
    expect([group.VendorName, group.Name]).toStrictEqual(['AWS', 'AWSManagedRulesCommonRuleSet']);
    const counted = Object.keys(COUNTED_COMMON_RULES).map((Name) => ({ Name, ActionToUse: { Count: {} } }));
    expect(group.RuleActionOverrides).toStrictEqual(counted);
    expect(Object.keys(COUNTED_COMMON_RULES)).toStrictEqual(['SizeRestrictions_BODY']);
    const excluded = pathOf(group.ScopeDownStatement.NotStatement.Statement);
    expect(excluded.test('/prod/api/v1/secret-scanning/github')).toBe(true);
    expect(excluded.test('/prod/api/v1/auth/token')).toBe(false);
  });

  it('stops synthesis when a route open to anyone has no per-address limit', () => {
    const open = { ...routes.find((route) => route.id === 'exchange-token')!, id: 'new-open-route' };
    const limits = () => anonymousRouteLimits([...routes, open], synth.stack.settings);
    expect(limits).toThrow(/new-open-route takes anonymous traffic but has no per-address WAF limit/);
  });
});

describe('the account around the stack', () => {
  it('keeps the account’s API Gateway logging role as it is, unless asked', () => {
    expect(ofType(synth.resources, 'AWS::ApiGateway::Account')).toStrictEqual([]);
    const roles = ofType(synth.resources, 'AWS::IAM::Role');
    const trustsApiGateway = ([, role]: [string, { Properties?: Record<string, any> }]) => {
      return JSON.stringify(role.Properties!.AssumeRolePolicyDocument).includes('apigateway');
    };
    const apiGatewayRoles = roles.filter(trustsApiGateway);
    expect(apiGatewayRoles).toStrictEqual([]);
  });

  it('gives every log group a retention, the stage’s execution logs and the console deployer’s included', () => {
    const groups = Object.entries(synth.templates).flatMap(([file, template]) => {
      const groupsOf = ofType(template.Resources, 'AWS::Logs::LogGroup');
      return groupsOf.map(([id, group]) => ({ file, id, days: group.Properties!.RetentionInDays }));
    });
    expect(groups.length).toBe(synth.stack.functions.size + 3);
    for (const group of groups) expect(group).toStrictEqual({ ...group, days: DEFAULT_SETTINGS.logRetentionDays });
    const logGroups = ofType(synth.resources, 'AWS::Logs::LogGroup');
    const [executionId, execution] = logGroups.find(([id]) => id.startsWith('ExecutionLogs'))!;
    const [apiId] = only(synth.resources, 'AWS::ApiGateway::RestApi');
    const name = { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: apiId }, '/prod']] };
    expect(execution.Properties!.LogGroupName).toStrictEqual(name);
    // Made before the stage, so that API Gateway finds it rather than making its own.
    expect(only(synth.resources, 'AWS::ApiGateway::Stage')[1].DependsOn).toContain(executionId);
    // Every Lambda function of the app names its log group: none is left to Lambda to create.
    for (const [file, template] of Object.entries(synth.templates)) {
      for (const [id, fn] of ofType(template.Resources, 'AWS::Lambda::Function')) {
        const group = fn.Properties!.LoggingConfig?.LogGroup !== undefined;
        expect({ file, id, group }).toStrictEqual({ file, id, group: true });
      }
    }
  });

  it('keeps the console in a stack of its own that the API’s never depends on', () => {
    const api = synth.stack;
    expect(api.dependencies).toStrictEqual([]);
    expect(synth.console!.stack.dependencies).toStrictEqual([api]);
    expect(JSON.stringify(synth.resources)).not.toContain('Fn::ImportValue');
  });
});

describe('stacks within CloudFormation’s limit of 500 resources', () => {
  it('keeps every stack, nested ones included, under 450', () => {
    const counts = Object.entries(synth.templates).map(([file, template]) => {
      return { file, count: Object.keys(template.Resources).length };
    });
    // The API's, the console's, and the nested operations, rate tiers and pooled keys.
    expect(counts.length).toBe(5);
    for (const { file, count } of counts) expect({ file, under: count < 450 }).toStrictEqual({ file, under: true });
    // The API stack is the one that grows with routes (about 8 resources each): room for five more at least.
    const api = counts.find(({ file }) => file === 'ServiceAccountTokens-prod.template.json')!;
    expect(api.count < 450 - 8 * 5).toBe(true);
  });
});

describe('what context turns off', () => {
  it('leaves the web ACL out when asked, acknowledged for cdk-nag rather than silent', () => {
    expect(ofType(bare.resources, 'AWS::WAFv2::WebACL')).toStrictEqual([]);
    expect(ofType(bare.resources, 'AWS::WAFv2::WebACLAssociation')).toStrictEqual([]);
    // cdk-nag ran during that synthesis: the finding was acknowledged on the stage, with its reason.
    const acknowledged = (of: Synthesized) => {
      const entries = of.stack.api.deploymentStage.node.metadata;
      const acknowledgments = entries.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
      return acknowledgments.map((entry) => entry.data);
    };
    expect(JSON.stringify(acknowledged(bare))).toMatch(/AwsSolutions-APIG3.*waf=false/);
    expect(acknowledged(synth)).toStrictEqual([]);
  });

  it('sends every alarm to an existing topic given by context, and makes none of its own', () => {
    const topics = ofType(bare.resources, 'AWS::SNS::Topic').map(([id]) => id);
    expect(topics).toStrictEqual([expect.stringMatching(/^LifecycleNotices/)]);
    for (const [id, alarm] of ofType(bare.operations.resources, 'AWS::CloudWatch::Alarm')) {
      const actions = [...alarm.Properties!.AlarmActions, ...alarm.Properties!.OKActions];
      expect({ id, actions }).toStrictEqual({ id, actions: [PAGER, PAGER] });
    }
    expect(bare.outputs.AlarmTopicArn.Value).toBe(PAGER);
  });

  it('deploys the API without the console when asked', () => {
    expect(bare.console).toBe(undefined);
    expect(Object.keys(bare.templates).filter((file) => file.includes('console'))).toStrictEqual([]);
    expect(ofType(bare.resources, 'AWS::ApiGateway::RestApi').length).toBe(1);
  });
});

describe('what a stage costs a month', () => {
  it('counts the web ACL’s rules, and the alarm metrics, functions and methods the stack has', () => {
    expect(stageShape({ waf: true, commonRuleSet: true, detailedApiMetrics: true }).wafRules).toBe(rules().length);
    const shape = stageShape({ waf: true, commonRuleSet: true, detailedApiMetrics: true });
    const metricsOf = (alarm: Resource) => {
      const metrics = alarm.Properties!.Metrics as { MetricStat?: unknown }[] | undefined;
      return metrics ? metrics.filter((entry) => entry.MetricStat).length : 1;
    };
    const alarms = ofType(synth.operations.resources, 'AWS::CloudWatch::Alarm');
    const alarmMetrics = alarms.reduce((sum, [, alarm]) => sum + metricsOf(alarm), 0);
    const methods = ofType(synth.resources, 'AWS::ApiGateway::Method').length;
    const counted = { alarmMetrics: shape.alarmMetrics, functions: shape.functions, methods: shape.methods };
    expect(counted).toStrictEqual({ alarmMetrics, functions: synth.stack.functions.size, methods });
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
