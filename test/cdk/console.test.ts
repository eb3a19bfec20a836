import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { App, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { consoleConfig } from '../../infra/cdk/console.js';
import { regionalName } from '../../infra/cdk/names.js';
import { createServiceApp } from '../../infra/cdk/service-app.js';
import { DEFAULT_SETTINGS } from '../../infra/cdk/settings.js';
import { actionsOf, isConsoleDeployer, ofType, render, type Resource, resourcesOf } from './template-support.js';
import { type Statement, type Synthesized, synthesize, UNBUNDLED } from './template-support.js';

/** Every resource of every template of the app (the API's, the nested operations', the console's), by file. */
type Located = [file: string, id: string, resource: Resource];
const everyResource = (of: Synthesized): Located[] =>
  Object.entries(of.templates).flatMap(([file, template]) => {
    return Object.entries(template.Resources).map(([id, resource]): Located => [file, id, resource]);
  });

/**
 * The console in AWS: a private bucket that only the distribution reads (origin access
 * control), the API behind the same distribution, the console's headers, and the
 * settings it is deployed with; and, since the console's CloudFront names are the ones
 * that span Regions, stages side by side and any bootstrap qualifier. A stage of its own
 * (`staging`), synthesized with a qualifier of its own and cdk-nag registered, as
 * `npm run synth` registers it.
 */
const context = {
  stageName: 'staging',
  '@aws-cdk/core:bootstrapQualifier': 'tokens42',
  jwtIssuer: 'https://login.example.com/realms/platform',
  jwksUrl: 'https://login.example.com/realms/platform/certs',
  jwtAudience: 'service-account-tokens',
  consoleClientId: 'tokens-console',
  consoleAudienceParameter: 'resource',
  consoleConnectOrigins: 'https://auth.example.com',
};
let synth: Synthesized;
beforeAll(() => {
  synth = synthesize({ bundle: false, context, nag: true });
});
afterAll(() => synth?.cleanup());

/** The console's own template (a stack of its own). */
const consoleResources = () => synth.console!.resources;
const only = (type: string) => {
  const found = ofType(consoleResources(), type);
  expect(found.length).toBe(1);
  return found[0]!;
};
const distribution = () => only('AWS::CloudFront::Distribution')[1].Properties!.DistributionConfig;
const siteBucketId = () => {
  const buckets = ofType(consoleResources(), 'AWS::S3::Bucket');
  return buckets.find(([id]) => id.startsWith('ConsoleSite'))![0];
};

/**
 * The value of an intrinsic (Ref, Fn::Join, Fn::Split, Fn::Select, and Fn::ImportValue of
 * an output of the API's stack) with each Ref given by `refs`.
 */
function evaluate(value: unknown, refs: (name: string) => string): any {
  if (typeof value === 'string' || Array.isArray(value))
    return Array.isArray(value) ? value.map((item) => evaluate(item, refs)) : value;
  const [[fn, args]] = Object.entries(value as Record<string, any>) as [[string, any]];
  if (fn === 'Ref') return refs(args);
  if (fn === 'Fn::ImportValue') {
    const exported = Object.values(synth.outputs).find((output) => output.Export?.Name === args);
    if (!exported) throw new Error(`The API stack exports no ${String(args)}`);
    return evaluate(exported.Value, refs);
  }
  if (fn === 'Fn::Join') return (evaluate(args[1], refs) as string[]).join(args[0]);
  if (fn === 'Fn::Split') return (evaluate(args[1], refs) as string).split(args[0]);
  if (fn === 'Fn::Select') return (evaluate(args[1], refs) as string[])[args[0]];
  throw new Error(`cannot evaluate ${fn}`);
}

describe('console hosting', () => {
  it('keeps the console in a private, encrypted, logged bucket that only the distribution reads', () => {
    for (const [, bucket] of ofType(consoleResources(), 'AWS::S3::Bucket')) {
      // id
      expect(bucket.Properties!.PublicAccessBlockConfiguration).toStrictEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties!.BucketEncryption).toBeTruthy();
      expect(bucket.Properties!.AccessControl).toBe(undefined);
    }
    expect(consoleResources()[siteBucketId()]!.Properties!.LoggingConfiguration).toBeTruthy();
    const onSite = ([, p]: [string, Resource]) => JSON.stringify(p.Properties!.Bucket).includes(siteBucketId());
    const policy = ofType(consoleResources(), 'AWS::S3::BucketPolicy').find(onSite)![1];
    const statements = policy.Properties!.PolicyDocument.Statement as (Statement & { Principal?: unknown })[];
    const reads = statements.filter((statement) => statement.Effect === 'Allow');
    expect(reads.map((statement) => ({ principal: statement.Principal, actions: actionsOf(statement) }))).toStrictEqual(
      [{ principal: { Service: 'cloudfront.amazonaws.com' }, actions: ['s3:GetObject'] }],
    );
    expect(JSON.stringify(reads[0]!.Condition)).toMatch(/AWS:SourceArn/);
    // Plain HTTP is refused by the bucket itself.
    expect(
      statements.some(
        (statement) =>
          statement.Effect === 'Deny' && JSON.stringify(statement.Condition).includes('aws:SecureTransport'),
      ),
    ).toBe(true);
    expect(
      distribution().Origins.find((origin: { S3OriginConfig?: unknown }) => origin.S3OriginConfig)
        .OriginAccessControlId,
    ).toBeTruthy();
  });

  it('serves the API under /api/ uncached, with every viewer header but Host, over HTTPS only', () => {
    const [api] = distribution().CacheBehaviors as Record<string, any>[];
    expect(api).toMatchObject({
      PathPattern: '/api/*',
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
    });
    // The managed CachingDisabled and AllViewerExceptHostHeader policies.
    expect(api!.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    expect(api!.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
    const origin = distribution().Origins.find((candidate: { Id: string }) => candidate.Id === api!.TargetOriginId);
    // The origin is the stage's URL taken apart by CloudFormation: evaluated here with stand-in values.
    const pseudo: Record<string, string> = { 'AWS::Region': 'eu-west-1', 'AWS::URLSuffix': 'amazonaws.com' };
    const refs = (name: string) => (name.startsWith('ApiDeploymentStage') ? 'staging' : (pseudo[name] ?? `<${name}>`));
    expect(evaluate(origin.DomainName, refs)).toMatch(/^<Api\w+>\.execute-api\.eu-west-1\.amazonaws\.com$/);
    expect(evaluate(origin.OriginPath, refs)).toBe('/staging');
    expect(origin.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });
    expect(distribution().DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(distribution().Logging).toBeTruthy();
  });

  it('adds the console’s Content Security Policy, naming the identity provider, and hardening headers', () => {
    const headers = only('AWS::CloudFront::ResponseHeadersPolicy')[1].Properties!.ResponseHeadersPolicyConfig
      .SecurityHeadersConfig;
    expect(headers.ContentSecurityPolicy.ContentSecurityPolicy).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https://login.example.com https://auth.example.com; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(headers).toMatchObject({
      FrameOptions: { FrameOption: 'DENY' },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer' },
      ContentTypeOptions: { Override: true },
    });
    expect(headers.StrictTransportSecurity.AccessControlMaxAgeSec).toBe(31_536_000);
  });

  it('deploys the build and its settings with the library’s deployer, which writes the console bucket and nothing else of ours', () => {
    const deployments = ofType(consoleResources(), 'Custom::CDKBucketDeployment');
    expect(deployments.length).toBe(2);
    for (const [, deployment] of deployments)
      expect(deployment.Properties!.DestinationBucketKeyPrefix).toBe('console/');
    const writes = ofType(consoleResources(), 'AWS::IAM::Policy')
      .filter(([id]) => isConsoleDeployer(id))
      .flatMap(([, policy]) => policy.Properties!.PolicyDocument.Statement as Statement[])
      .filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('s3:Put') || action.startsWith('s3:DeleteObject')),
      );
    expect(writes.flatMap(resourcesOf).map(render).sort()).toStrictEqual([
      `<${siteBucketId()}.Arn>`,
      `<${siteBucketId()}.Arn>/*`,
    ]);
    const domain = { 'Fn::GetAtt': [only('AWS::CloudFront::Distribution')[0], 'DomainName'] };
    const url = { 'Fn::Join': ['', ['https://', domain, '/console/']] };
    expect(synth.console!.outputs.ConsoleUrl.Value).toStrictEqual(url);
  });

  it('tells the console the identity provider the API trusts, its client there, and how to ask for the API’s audience', () => {
    const settings = { ...DEFAULT_SETTINGS, jwtIssuer: context.jwtIssuer, consoleClientId: 'tokens-console' };
    expect(consoleConfig(settings)).toStrictEqual({
      issuer: context.jwtIssuer,
      clientId: 'tokens-console',
      scope: 'openid',
      bearer: 'access_token',
    });
    expect(
      consoleConfig({ ...settings, consoleAudienceParameter: 'audience', consoleBearer: 'id_token' }),
    ).toStrictEqual({
      issuer: context.jwtIssuer,
      clientId: 'tokens-console',
      scope: 'openid',
      audienceParameter: 'audience',
      audience: 'service-account-tokens',
      bearer: 'id_token',
    });
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
    const files = Object.keys(synth.templates)
      .filter((file) => !file.includes('.nested.'))
      .sort();
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
