import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { createServiceApp } from '../../infra/cdk/service-app.js';
import { DEFAULT_SETTINGS, readSettings, SettingsError } from '../../infra/cdk/settings.js';
import { ofType, type Synthesized, synthesize } from './template-support.js';

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
  apiGatewayCloudWatchRole: 'false',
};

let synth: Synthesized;
before(() => {
  synth = synthesize({ bundle: false, context });
});
after(() => synth?.cleanup());

const contextWith = (values: Record<string, unknown>) => new App({ context: values }).node;

describe('deployment settings', () => {
  it('passes the identity provider and token policy to every function', () => {
    for (const [id, fn] of ofType(synth.resources, 'AWS::Lambda::Function')) {
      const env = fn.Properties!.Environment.Variables as Record<string, unknown>;
      assert.equal(env.JWKS_URL, context.jwksUrl, id);
      assert.equal(env.JWT_ISSUER, context.jwtIssuer, id);
      assert.equal(env.JWT_AUDIENCE, context.jwtAudience, id);
      assert.equal(env.JWT_USER_CLAIM, context.jwtUserClaim, id);
      assert.equal(env.TOKEN_LIMIT_PER_ACCOUNT, '10', id);
      assert.equal(env.TOKEN_MAX_LIFETIME_DAYS, '90', id);
      assert.equal(env.EXPIRED_TOKEN_RETENTION_DAYS, '7', id);
      assert.equal(env.API_STAGE, 'staging', id);
      assert.equal(env.POWERTOOLS_LOG_LEVEL, 'DEBUG', id);
    }
  });

  it('names the stage, its throttle and the log retention from context', () => {
    const [, stage] = ofType(synth.resources, 'AWS::ApiGateway::Stage')[0]!;
    assert.equal(stage.Properties!.StageName, 'staging');
    assert.equal(stage.Properties!.MethodSettings[0].ThrottlingRateLimit, 50);
    assert.equal(stage.Properties!.MethodSettings[0].ThrottlingBurstLimit, 100);
    for (const [id, group] of ofType(synth.resources, 'AWS::Logs::LogGroup')) assert.equal(group.Properties!.RetentionInDays, 90, id);
  });

  it('lets a throwaway stage delete its table and logs with the stack', () => {
    const [, table] = ofType(synth.resources, 'AWS::DynamoDB::Table')[0]!;
    assert.equal(table.Properties!.DeletionProtectionEnabled, false);
    assert.equal(table.DeletionPolicy, 'Delete');
    for (const [id, group] of ofType(synth.resources, 'AWS::Logs::LogGroup')) assert.equal(group.DeletionPolicy, 'Delete', id);
  });

  it('leaves the account-level logging role alone when asked', () => {
    assert.deepEqual(ofType(synth.resources, 'AWS::ApiGateway::Account'), []);
  });

  it('warns at synth time while no identity provider is configured, and only then', () => {
    const warnings = (values: Record<string, unknown>) => {
      const { stack } = createServiceApp({ nag: false, context: { 'aws:cdk:bundling-stacks': [], ...values } });
      return stack.node.metadata.filter((entry) => entry.type === 'aws:cdk:warning').map((entry) => String(entry.data));
    };
    assert.ok(warnings({}).some((text) => text.includes('No identity provider configured')));
    assert.deepEqual(
      warnings({ jwksUrl: context.jwksUrl, jwtIssuer: context.jwtIssuer }).filter((text) => text.includes('identity provider')),
      [],
    );
  });

  it('uses the documented defaults without context', () => {
    assert.deepEqual(readSettings(contextWith({})), DEFAULT_SETTINGS);
  });

  it('accepts the same values typed as JSON in cdk.json', () => {
    const settings = readSettings(contextWith({ ephemeral: true, tokenLimit: 10, apiGatewayCloudWatchRole: false }));
    assert.equal(settings.ephemeral, true);
    assert.equal(settings.tokenLimit, 10);
    assert.equal(settings.apiGatewayCloudWatchRole, false);
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
    ];
    for (const [key, value] of bad) {
      assert.throws(() => readSettings(contextWith({ [key]: value })), (error: unknown) => {
        assert.ok(error instanceof SettingsError, `${key}=${String(value)}`);
        assert.match(error.message, new RegExp(`Context ${key} `));
        return true;
      });
    }
  });
});
