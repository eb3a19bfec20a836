import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { createServiceApp } from '../../infra/cdk/service-app.js';
import { DEFAULT_SETTINGS, readSettings, SettingsError } from '../../infra/cdk/settings.js';
import { ofType, type Resource, serviceFunctions, type Synthesized } from './template-support.js';
import { synthesize, UNBUNDLED } from './template-support.js';

/**
 * Deployment settings from CDK context, as `-c key=value` passes them (strings): each one
 * lands where it should, and a malformed one stops synthesis. Bundling is skipped: only
 * the template matters here. Stages side by side and bootstrap qualifiers: console.test.ts.
 */

const context = {
  ephemeral: 'true',
  stageName: 'staging',
  jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
  jwtIssuer: 'https://idp.example.com/',
  jwtAudience: 'api://service-account-tokens',
  jwtUserClaim: 'preferred_username',
  tokenLimit: '10',
  tokenMaxLifetimeDays: '90',
  requireAllowedCidrs: 'true',
  retentionDays: '7',
  logLevel: 'debug',
  logRetentionDays: '90',
  apiRateLimit: '50',
  apiBurstLimit: '100',
  rateLimitedMax: '5000',
  keyWorkerCallsPerSecond: '2',
  apiGatewayCloudWatchRole: 'true',
  apiDetailedMetrics: 'false',
  suspendUnusedAfterDays: '90',
  notifyEmail: 'platform-team@example.com',
  alarmEmail: 'on-call@example.com',
  rollout: 'AllAtOnce',
  wafRateLimit: '5000',
  wafTokenExchangeRateLimit: '100',
  wafSecretScanningRateLimit: '50',
  wafCommonRuleSet: 'false',
};

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize({ bundle: false, context });
});
afterAll(() => synth?.cleanup());

/** Every resource of every template of the app (the API's, the nested operations', the console's), by file. */
type Located = [file: string, id: string, resource: Resource];
const everyResource = (of: Synthesized): Located[] =>
  Object.entries(of.templates).flatMap(([file, template]) => {
    return Object.entries(template.Resources).map(([id, resource]): Located => [file, id, resource]);
  });
const logGroups = () => everyResource(synth).filter(([, , resource]) => resource.Type === 'AWS::Logs::LogGroup');
/** Every warning of the app's constructs. */
const warnings = (values: Record<string, unknown>) => {
  const { app } = createServiceApp({ nag: false, context: { ...UNBUNDLED, ...values } });
  return app.node.findAll().flatMap((construct) => {
    const entries = construct.node.metadata.filter((entry) => entry.type === 'aws:cdk:warning');
    return entries.map((entry) => String(entry.data));
  });
};

const contextWith = (values: Record<string, unknown>) => new App({ context: values }).node;

describe('deployment settings', () => {
  it('passes the identity provider and token policy to every function', () => {
    for (const [id, fn] of serviceFunctions(synth.resources)) {
      const env = fn.Properties!.Environment.Variables as Record<string, unknown>;
      // id
      expect(env.JWKS_URL).toBe(context.jwksUrl);
      // id
      expect(env.JWT_ISSUER).toBe(context.jwtIssuer);
      // id
      expect(env.JWT_AUDIENCE).toBe(context.jwtAudience);
      // id
      expect(env.JWT_USER_CLAIM).toBe(context.jwtUserClaim);
      // id
      expect(env.TOKEN_LIMIT_PER_ACCOUNT).toBe('10');
      // id
      expect(env.TOKEN_MAX_LIFETIME_DAYS).toBe('90');
      // id
      expect(env.REQUIRE_ALLOWED_CIDRS).toBe('true');
      // id
      expect(env.EXPIRED_TOKEN_RETENTION_DAYS).toBe('7');
      // id
      expect(env.API_STAGE).toBe('staging');
      // id
      expect(env.POWERTOOLS_LOG_LEVEL).toBe('DEBUG');
      // id
      expect(env.SUSPEND_UNUSED_AFTER_DAYS).toBe('90');
      // No token may be given more than the stage itself allows.
      expect({ id, maxRps: env.MAX_RPS }).toStrictEqual({ id, maxRps: '50' });
    }
  });

  it('holds limited tokens to the ceiling given, the key worker to the pace given, and alarms at 80 % of the key quota', () => {
    for (const [id, fn] of serviceFunctions(synth.resources)) {
      const env = fn.Properties!.Environment.Variables as Record<string, unknown>;
      expect({ id, ceiling: env.RATE_LIMITED_MAX }).toStrictEqual({ id, ceiling: '5000' });
    }
    const worker = serviceFunctions(synth.resources).find(([id]) => id.startsWith('Queuekeyworker'))!;
    expect(worker[1].Properties!.Environment.Variables.KEY_WORKER_CALLS_PER_SECOND).toBe('2');
    const alarms = Object.fromEntries(
      ofType(synth.operations.resources, 'AWS::CloudWatch::Alarm')
        .filter(([, { Properties: alarm }]) => alarm!.Namespace === 'ServiceAccountTokens')
        .filter(([, { Properties: alarm }]) => alarm!.Dimensions?.[0]?.Name === 'service')
        .map(([, alarm]) => [alarm.Properties!.MetricName, alarm.Properties!.Threshold]),
    );
    expect(alarms).toMatchObject({ RegionApiKeys: 8000 });
    expect(alarms).not.toHaveProperty('UsagePlans');
  });

  it('names the stage, its throttle and the log retention from context, for every log group of every stack', () => {
    const [, stage] = ofType(synth.resources, 'AWS::ApiGateway::Stage')[0]!;
    expect(stage.Properties!.StageName).toBe('staging');
    expect(stage.Properties!.MethodSettings[0].ThrottlingRateLimit).toBe(50);
    expect(stage.Properties!.MethodSettings[0].ThrottlingBurstLimit).toBe(100);
    // Per-method metrics turned off by context, on the stage and on the methods with a throttle of their own.
    const settings = stage.Properties!.MethodSettings as { MetricsEnabled: boolean }[];
    const metrics = settings.map((setting) => setting.MetricsEnabled);
    expect(metrics).toStrictEqual([false, false, false]);
    expect(logGroups().length).toBe(synth.stack.functions.size + 4);
    for (const [file, id, group] of logGroups()) {
      expect({ file, id, days: group.Properties!.RetentionInDays }).toStrictEqual({ file, id, days: 90 });
    }
  });

  it('lets a throwaway stage delete its table and logs with the stack, its bucket emptier logging to one', () => {
    const [, table] = ofType(synth.resources, 'AWS::DynamoDB::Table')[0]!;
    expect(table.Properties!.DeletionProtectionEnabled).toBe(false);
    expect(table.DeletionPolicy).toBe('Delete');
    for (const [file, id, group] of logGroups()) {
      expect({ file, id, policy: group.DeletionPolicy }).toStrictEqual({ file, id, policy: 'Delete' });
    }
    const functions = ofType(synth.console!.resources, 'AWS::Lambda::Function');
    const emptier = functions.find(([id]) => id.startsWith('CustomS3AutoDeleteObjects'))![1];
    const groupId = emptier.Properties!.LoggingConfig.LogGroup.Ref as string;
    expect(synth.console!.resources[groupId]!.Properties!.RetentionInDays).toBe(90);
  });

  it('subscribes the notifyEmail address to the notices topic and alarmEmail to the alarm topic', () => {
    const subscriptions = ofType(synth.resources, 'AWS::SNS::Subscription').map(([, { Properties: props }]) => props!);
    const topicOf = (endpoint: string) => {
      const subscription = subscriptions.find((candidate) => candidate.Endpoint === endpoint)!;
      return (subscription.TopicArn as { Ref: string }).Ref;
    };
    const endpoints = subscriptions.map((subscription) => [subscription.Protocol, subscription.Endpoint]).sort();
    expect(endpoints).toStrictEqual([
      ['email', 'on-call@example.com'],
      ['email', 'platform-team@example.com'],
    ]);
    expect(topicOf('platform-team@example.com')).toMatch(/^LifecycleNotices/);
    expect(topicOf('on-call@example.com')).toMatch(/^AlarmTopic/);
  });

  it('sets the account-level logging role up when asked, and keeps it when the stack goes', () => {
    const [, account] = ofType(synth.resources, 'AWS::ApiGateway::Account')[0]!;
    const roleId = account.Properties!.CloudWatchRoleArn['Fn::GetAtt'][0] as string;
    expect(synth.resources[roleId]!.DeletionPolicy).toBe('Retain');
    expect(account.DeletionPolicy).toBe('Retain');
  });

  it('rolls out with the configuration given, and sizes the web ACL’s limits from context', () => {
    const groups = ofType(synth.operations.resources, 'AWS::CodeDeploy::DeploymentGroup');
    expect(groups.length > 0).toBe(true);
    for (const [, group] of groups) {
      expect(group.Properties!.DeploymentConfigName).toBe('CodeDeployDefault.LambdaAllAtOnce');
    }
    const [, acl] = ofType(synth.resources, 'AWS::WAFv2::WebACL')[0]!;
    const rules = acl.Properties!.Rules as { Name: string; Statement: { RateBasedStatement?: { Limit: number } } }[];
    const limits = Object.fromEntries(rules.map((rule) => [rule.Name, rule.Statement.RateBasedStatement?.Limit]));
    // No common rule set: turned off by context.
    expect(limits).toStrictEqual({ TokenExchangePerIp: 100, SecretScanningPerIp: 50, PerIp: 5000 });
  });

  it('warns at synth time while no identity provider is configured, and only then', () => {
    expect(warnings({}).some((text) => text.includes('No identity provider configured'))).toBeTruthy();
    expect(
      warnings({ jwksUrl: context.jwksUrl, jwtIssuer: context.jwtIssuer }).filter((text) =>
        text.includes('identity provider'),
      ),
    ).toStrictEqual([]);
  });

  it('warns at synth time while the console has no client at the identity provider, and only then', () => {
    expect(warnings({}).some((text) => text.includes('No console client configured'))).toBeTruthy();
    expect(
      warnings({ consoleClientId: 'tokens-console' }).filter((text) => text.includes('console client')),
    ).toStrictEqual([]);
    expect(
      readSettings(contextWith({ consoleConnectOrigins: 'https://a.example.com, https://b.example.com:8443' }))
        .consoleConnectOrigins,
    ).toStrictEqual(['https://a.example.com', 'https://b.example.com:8443']);
  });

  it('uses the documented defaults without context', () => {
    expect(readSettings(contextWith({}))).toStrictEqual(DEFAULT_SETTINGS);
  });

  it('accepts the same values typed as JSON in cdk.json', () => {
    const typed = { ephemeral: true, tokenLimit: 10, apiGatewayCloudWatchRole: true, wafRateLimit: 1000 };
    const settings = readSettings(contextWith(typed));
    expect(settings.ephemeral).toBe(true);
    expect(settings.tokenLimit).toBe(10);
    expect(settings.apiGatewayCloudWatchRole).toBe(true);
    expect(settings.wafRateLimit).toBe(1000);
  });

  it('refuses malformed values at synth time, naming the key', () => {
    const bad: [string, unknown][] = [
      ['tokenLimit', 'fifty'],
      ['tokenLimit', '0'],
      ['tokenMaxLifetimeDays', '1.5'],
      ['retentionDays', '-1'],
      ['jwksUrl', 'http://idp.example.com/jwks'],
      ['jwksUrl', 'not a url'],
      ['stageName', 'has space'],
      ['ephemeral', 'yes'],
      ['logLevel', 'LOUD'],
      ['logRetentionDays', '31'],
      ['consoleClientId', 'has space'],
      ['consoleScope', 'openid  api'],
      ['consoleAudienceParameter', 'aud'],
      ['consoleBearer', 'refresh_token'],
      ['consoleConnectOrigins', 'http://auth.example.com'],
      ['consoleConnectOrigins', 'https://auth.example.com/oauth2'],
      ['suspendUnusedAfterDays', '-1'],
      ['suspendUnusedAfterDays', 'ninety'],
      ['notifyEmail', 'not an address'],
      ['notifyEmail', 'a@b.com,c@d.com'],
      // A stage name is part of the stack's name, which takes no underscore.
      ['stageName', 'my_stage'],
      ['stackName', '1-starts-with-a-digit'],
      ['console', 'maybe'],
      ['alarmEmail', 'nobody'],
      ['alarmTopicArn', 'arn:aws:sqs:eu-west-1:123456789012:not-a-topic'],
      ['rollout', 'Canary50Percent1Minute'],
      ['waf', 'on'],
      // WAF's own bounds for a rate-based limit.
      ['wafRateLimit', '9'],
      ['wafTokenExchangeRateLimit', '0'],
      ['wafSecretScanningRateLimit', 'many'],
      ['apiDetailedMetrics', 'yes'],
    ];
    const both = { alarmEmail: 'a@example.com', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:pager' };
    expect(() => readSettings(contextWith(both))).toThrow(/Context alarmEmail and alarmTopicArn exclude each other/);
    for (const [key, value] of bad) {
      // `${key}=${String(value)}`
      expect(() => readSettings(contextWith({ [key]: value }))).toThrow(SettingsError);
      expect(() => readSettings(contextWith({ [key]: value }))).toThrow(new RegExp(`Context ${key} `));
    }
  });
});
