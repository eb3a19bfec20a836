import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { createServiceApp } from '../../infra/cdk/service-app.js';
import { DEFAULT_SETTINGS, readSettings, SettingsError } from '../../infra/cdk/settings.js';
import { ofType, serviceFunctions, type Synthesized, synthesize, UNBUNDLED } from './template-support.js';

/**
 * Deployment settings from CDK context, as `-c key=value` passes them (strings): each one
 * lands where it should, and a malformed one stops synthesis. Bundling is skipped: only
 * the template matters here.
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
  apiGatewayCloudWatchRole: 'false',
  suspendUnusedAfterDays: '90',
  notifyEmail: 'platform-team@example.com',
};

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize({ bundle: false, context });
});
afterAll(() => synth?.cleanup());

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
    const alarms = Object.fromEntries(ofType(synth.resources, 'AWS::CloudWatch::Alarm').map(([, alarm]) => [alarm.Properties!.MetricName, alarm.Properties!.Threshold]));
    expect(alarms).toStrictEqual({ UsagePlans: 450, ApiKeys: 9000 });
  });

  it('names the stage, its throttle and the log retention from context', () => {
    const [, stage] = ofType(synth.resources, 'AWS::ApiGateway::Stage')[0]!;
    expect(stage.Properties!.StageName).toBe('staging');
    expect(stage.Properties!.MethodSettings[0].ThrottlingRateLimit).toBe(50);
    expect(stage.Properties!.MethodSettings[0].ThrottlingBurstLimit).toBe(100);
    for (const [id, group] of ofType(synth.resources, 'AWS::Logs::LogGroup')) expect(group.Properties!.RetentionInDays).toBe(90) /* id */;
  });

  it('lets a throwaway stage delete its table and logs with the stack', () => {
    const [, table] = ofType(synth.resources, 'AWS::DynamoDB::Table')[0]!;
    expect(table.Properties!.DeletionProtectionEnabled).toBe(false);
    expect(table.DeletionPolicy).toBe('Delete');
    for (const [id, group] of ofType(synth.resources, 'AWS::Logs::LogGroup')) expect(group.DeletionPolicy).toBe('Delete') /* id */;
  });

  it('subscribes the notifyEmail address to the lifecycle notices topic', () => {
    const subscriptions = ofType(synth.resources, 'AWS::SNS::Subscription').map(([, subscription]) => subscription.Properties);
    expect(subscriptions).toMatchObject([{ Protocol: 'email', Endpoint: 'platform-team@example.com' }]);
  });

  it('leaves the account-level logging role alone when asked', () => {
    expect(ofType(synth.resources, 'AWS::ApiGateway::Account')).toStrictEqual([]);
  });

  it('warns at synth time while no identity provider is configured, and only then', () => {
    const warnings = (values: Record<string, unknown>) => {
      const { stack } = createServiceApp({ nag: false, context: { ...UNBUNDLED, ...values } });
      return stack.node.metadata.filter((entry) => entry.type === 'aws:cdk:warning').map((entry) => String(entry.data));
    };
    expect(warnings({}).some((text) => text.includes('No identity provider configured'))).toBeTruthy();
    expect(warnings({ jwksUrl: context.jwksUrl, jwtIssuer: context.jwtIssuer }).filter((text) => text.includes('identity provider'))).toStrictEqual([]);
  });

  it('warns at synth time while the console has no client at the identity provider, and only then', () => {
    const warnings = (values: Record<string, unknown>) => {
      const { stack } = createServiceApp({ nag: false, context: { ...UNBUNDLED, ...values } });
      return stack.node.metadata.filter((entry) => entry.type === 'aws:cdk:warning').map((entry) => String(entry.data));
    };
    expect(warnings({}).some((text) => text.includes('No console client configured'))).toBeTruthy();
    expect(warnings({ consoleClientId: 'tokens-console' }).filter((text) => text.includes('console client'))).toStrictEqual([]);
    expect(readSettings(contextWith({ consoleConnectOrigins: 'https://a.example.com, https://b.example.com:8443' })).consoleConnectOrigins).toStrictEqual(['https://a.example.com', 'https://b.example.com:8443']);
  });

  it('uses the documented defaults without context', () => {
    expect(readSettings(contextWith({}))).toStrictEqual(DEFAULT_SETTINGS);
  });

  it('accepts the same values typed as JSON in cdk.json', () => {
    const settings = readSettings(contextWith({ ephemeral: true, tokenLimit: 10, apiGatewayCloudWatchRole: false }));
    expect(settings.ephemeral).toBe(true);
    expect(settings.tokenLimit).toBe(10);
    expect(settings.apiGatewayCloudWatchRole).toBe(false);
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
    ];
    for (const [key, value] of bad) {
      // `${key}=${String(value)}`
      expect(() => readSettings(contextWith({ [key]: value }))).toThrow(SettingsError);
      expect(() => readSettings(contextWith({ [key]: value }))).toThrow(new RegExp(`Context ${key} `));
    }
  });
});
