import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { App, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { regionalName } from '../../infra/cdk/names.js';
import { createServiceApp } from '../../infra/cdk/service-app.js';
import { DEFAULT_SETTINGS, readSettings, SettingsError } from '../../infra/cdk/settings.js';
import { ofType, type Resource, serviceFunctions, type Synthesized } from './template-support.js';
import { synthesize, UNBUNDLED } from './template-support.js';

/**
 * Deployment settings from CDK context, as `-c key=value` passes them (strings): each one
 * lands where it should, and a malformed one stops synthesis. Bundling is skipped: only
 * the template matters here. The stage is synthesized with a bootstrap qualifier of its
 * own and cdk-nag registered, as `npm run synth` registers it.
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
  retentionDays: '7',
  logLevel: 'debug',
  logRetentionDays: '90',
  apiRateLimit: '50',
  apiBurstLimit: '100',
  usagePlanQuota: '500',
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
  '@aws-cdk/core:bootstrapQualifier': 'tokens42',
};

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize({ bundle: false, context, nag: true });
});
afterAll(() => synth?.cleanup());

/** Every resource of every template of the app (the API's, the nested operations', the console's), by file. */
type Located = [file: string, id: string, resource: Resource];
const everyResource = (of: Synthesized = synth): Located[] =>
  Object.entries(of.templates).flatMap(([file, template]) => {
    return Object.entries(template.Resources).map(([id, resource]): Located => [file, id, resource]);
  });
const logGroups = () => everyResource().filter(([, , resource]) => resource.Type === 'AWS::Logs::LogGroup');
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

  it('sets the usage plan alarm at 90 % of the account quota given', () => {
    const alarms = Object.fromEntries(
      ofType(synth.operations.resources, 'AWS::CloudWatch::Alarm')
        .filter(([, { Properties: alarm }]) => alarm!.Namespace === 'ServiceAccountTokens')
        .filter(([, { Properties: alarm }]) => alarm!.Dimensions[0].Name === 'service')
        .map(([, alarm]) => [alarm.Properties!.MetricName, alarm.Properties!.Threshold]),
    );
    expect(alarms).toStrictEqual({ UsagePlans: 450, ApiKeys: 9000 });
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
    expect(endpoints).toStrictEqual([['email', 'on-call@example.com'], ['email', 'platform-team@example.com']]);
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
    expect(warnings({ jwksUrl: context.jwksUrl, jwtIssuer: context.jwtIssuer }).filter((text) => text.includes('identity provider'))).toStrictEqual([]);
  });

  it('warns at synth time while the console has no client at the identity provider, and only then', () => {
    expect(warnings({}).some((text) => text.includes('No console client configured'))).toBeTruthy();
    expect(warnings({ consoleClientId: 'tokens-console' }).filter((text) => text.includes('console client'))).toStrictEqual([]);
    expect(readSettings(contextWith({ consoleConnectOrigins: 'https://a.example.com, https://b.example.com:8443' })).consoleConnectOrigins).toStrictEqual(['https://a.example.com', 'https://b.example.com:8443']);
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

/**
 * Names that must be unique in an account or a Region: what each such resource is called
 * in the template, rendered (`<AWS::Region>`), or undefined when CloudFormation names it.
 */
const UNIQUE_NAMES: Record<string, (properties: Record<string, any>) => unknown> = {
  'AWS::CloudWatch::Alarm': (p) => p.AlarmName,
  'AWS::CloudWatch::Dashboard': (p) => p.DashboardName,
  'AWS::WAFv2::WebACL': (p) => p.Name,
  'AWS::CloudFront::ResponseHeadersPolicy': (p) => p.ResponseHeadersPolicyConfig?.Name,
  'AWS::CloudFront::OriginAccessControl': (p) => p.OriginAccessControlConfig?.Name,
  'AWS::CloudFront::Function': (p) => p.Name,
  'AWS::Logs::LogGroup': (p) => p.LogGroupName,
  'AWS::CodeDeploy::Application': (p) => p.ApplicationName,
  'AWS::SNS::Topic': (p) => p.TopicName,
  'AWS::SQS::Queue': (p) => p.QueueName,
  'AWS::DynamoDB::Table': (p) => p.TableName,
  'AWS::Lambda::Function': (p) => p.FunctionName,
  'AWS::IAM::Role': (p) => p.RoleName,
  'AWS::S3::Bucket': (p) => p.BucketName,
  'AWS::Events::EventBus': (p) => p.Name,
  'AWS::Events::Rule': (p) => p.Name,
  'AWS::KMS::Alias': (p) => p.AliasName,
};

/** Names unique across Regions (CloudFront's policies and functions, dashboards, roles): they need the Region too. */
const ACCOUNT_WIDE = [
  'AWS::CloudFront::ResponseHeadersPolicy',
  'AWS::CloudFront::OriginAccessControl',
  'AWS::CloudFront::Function',
  'AWS::CloudWatch::Dashboard',
  'AWS::IAM::Role',
];

/** Every given unique name of the app, rendered, with whether it is unique across Regions, and any export name. */
function uniqueNames(of: Synthesized): { name: string; accountWide: boolean }[] {
  const names = everyResource(of).flatMap(([, , resource]) => {
    const name = UNIQUE_NAMES[resource.Type]?.(resource.Properties ?? {});
    return name === undefined ? [] : [{ name: renderName(name), accountWide: ACCOUNT_WIDE.includes(resource.Type) }];
  });
  const exports = Object.values(of.templates).flatMap((template) =>
    Object.values(template.Outputs ?? {}).flatMap((output) => {
      return output.Export ? [{ name: renderName(output.Export.Name), accountWide: false }] : [];
    }),
  );
  return [...names, ...exports];
}

function renderName(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, any>;
  if (node['Fn::Join']) return (node['Fn::Join'][1] as unknown[]).map(renderName).join(node['Fn::Join'][0] as string);
  if (node.Ref) return `<${node.Ref as string}>`;
  throw new Error(`A name that cannot be read: ${JSON.stringify(value)}`);
}

describe('stages and Regions side by side, on any bootstrap', () => {
  let prod: Synthesized;
  beforeAll(() => {
    prod = synthesize({ bundle: false, context: { stageName: 'prod' } });
  });
  afterAll(() => prod?.cleanup());

  it('names each stage’s stacks after the stage, with `prod` when none is given', () => {
    const files = Object.keys(synth.templates).filter((file) => !file.includes('.nested.')).sort();
    const stacks = ['ServiceAccountTokens-staging-console', 'ServiceAccountTokens-staging'];
    const expected = stacks.map((name) => `${name}.template.json`);
    expect(files).toStrictEqual(expected);
    const names = [prod.stack.stackName, prod.console!.stack.stackName];
    expect(names).toStrictEqual(['ServiceAccountTokens-prod', 'ServiceAccountTokens-prod-console']);
    expect(createServiceApp({ nag: false, context: UNBUNDLED }).stack.stackName).toBe('ServiceAccountTokens-prod');
    // A stack deployed before stages were part of its name keeps it by context.
    const kept = createServiceApp({ nag: false, context: { ...UNBUNDLED, stackName: 'ServiceAccountTokens' } });
    const keptNames = [kept.stack.stackName, kept.console!.stackName, kept.stack.settings.stageName];
    expect(keptNames).toStrictEqual(['ServiceAccountTokens', 'ServiceAccountTokens-console', 'prod']);
  });

  it('names what is unique in an account after stage and Region, in a Region after the stage, or leaves it', () => {
    const names = uniqueNames(synth);
    // CloudFront's three, the web ACL, the dashboard, the bus, the execution logs, every alarm, and the exports.
    expect(names.length > 90).toBe(true);
    expect(names.filter(({ accountWide }) => accountWide).length).toBe(4);
    for (const { name, accountWide } of names) {
      // API Gateway names the execution logs after the API's id, unique already.
      const executionLogs = /^API-Gateway-Execution-Logs_<Api\w+>\/staging$/.test(name);
      const stage = name.replaceAll('-', '').includes('ServiceAccountTokensstaging') || executionLogs;
      const region = name.includes('<AWS::Region>');
      expect({ name, unique: stage && (region || !accountWide) }).toStrictEqual({ name, unique: true });
    }
  });

  it('fits a long stack name into a short name limit by a hash of what it cuts, keeping the Region', () => {
    const resolved = (stackName: string) => {
      const stack = new Stack(new App(), stackName, { stackName });
      return stack.resolve(regionalName(stack, 'site', 64));
    };
    const long = 'ServiceAccountTokens-a-very-long-stage-name-for-a-feature-branch';
    const [first, second] = [`${long}-one`, `${long}-two`].map(resolved);
    const literal = (joined: unknown) => (joined as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][0] as string;
    expect(literal(first).length).toBe(64 - 20 + 1);
    expect(literal(first)).not.toBe(literal(second));
    expect((first as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1]).toStrictEqual({ Ref: 'AWS::Region' });
    // A short one is kept whole.
    const short = { 'Fn::Join': ['', ['ServiceAccountTokens-dev-site-', { Ref: 'AWS::Region' }]] };
    expect(resolved('ServiceAccountTokens-dev')).toStrictEqual(short);
  });

  it('shares no such name between two stages in one account', () => {
    const staging = new Set(uniqueNames(synth).map(({ name }) => name));
    expect(uniqueNames(prod).filter(({ name }) => staging.has(name))).toStrictEqual([]);
  });

  it('synthesizes with a bootstrap qualifier of its own, cdk-nag clean, and names no other', () => {
    // cdk-nag ran during this synthesis, as `npm run synth` runs it: any finding would have failed it.
    const manifest = readFileSync(join(synth.outdir, 'ServiceAccountTokens-staging-console.assets.json'), 'utf8');
    expect(manifest).toContain('cdk-tokens42-assets-${AWS::AccountId}-${AWS::Region}');
    for (const [file, template] of Object.entries(synth.templates).filter(([file]) => !file.includes('.nested.'))) {
      const version = template.Parameters?.BootstrapVersion?.Default;
      expect({ file, version }).toStrictEqual({ file, version: '/cdk-bootstrap/tokens42/version' });
    }
    const json = readdirSync(synth.outdir).filter((file) => file.endsWith('.json'));
    const everything = json.map((file) => readFileSync(join(synth.outdir, file), 'utf8')).join('\n');
    expect(everything).not.toContain(DefaultStackSynthesizer.DEFAULT_QUALIFIER);
    // The console's deployer reads the asset from the bucket of this qualifier.
    const policies = ofType(synth.console!.resources, 'AWS::IAM::Policy');
    const reads = policies.map(([, policy]) => JSON.stringify(policy.Properties!.PolicyDocument));
    expect(reads.join()).toContain('cdk-tokens42-assets-');
  });
});
