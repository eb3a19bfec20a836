import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { consoleConfig } from '../../infra/cdk/console.js';
import { DEFAULT_SETTINGS } from '../../infra/cdk/settings.js';
import { actionsOf, isConsoleDeployer, ofType, render, type Resource, resourcesOf } from './template-support.js';
import { type Statement, type Synthesized, synthesize } from './template-support.js';

/**
 * The console in AWS: a private bucket that only the distribution reads (origin access
 * control), the API behind the same distribution, the console's headers, and the
 * settings it is deployed with.
 */
const context = {
  jwtIssuer: 'https://login.example.com/realms/platform',
  jwksUrl: 'https://login.example.com/realms/platform/certs',
  jwtAudience: 'service-account-tokens',
  consoleClientId: 'tokens-console',
  consoleAudienceParameter: 'resource',
  consoleConnectOrigins: 'https://auth.example.com',
};
let synth: Synthesized;
beforeAll(() => {
  synth = synthesize({ bundle: false, context });
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
  if (typeof value === 'string' || Array.isArray(value)) return Array.isArray(value) ? value.map((item) => evaluate(item, refs)) : value;
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
    for (const [id, bucket] of ofType(consoleResources(), 'AWS::S3::Bucket')) {
      // id
      expect(bucket.Properties!.PublicAccessBlockConfiguration).toStrictEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(bucket.Properties!.BucketEncryption).toBeTruthy();
      expect(bucket.Properties!.AccessControl).toBe(undefined);
    }
    expect(consoleResources()[siteBucketId()]!.Properties!.LoggingConfiguration).toBeTruthy();
    const onSite = ([, p]: [string, Resource]) => JSON.stringify(p.Properties!.Bucket).includes(siteBucketId());
    const policy = ofType(consoleResources(), 'AWS::S3::BucketPolicy').find(onSite)![1];
    const statements = policy.Properties!.PolicyDocument.Statement as (Statement & { Principal?: unknown })[];
    const reads = statements.filter((statement) => statement.Effect === 'Allow');
    expect(reads.map((statement) => ({ principal: statement.Principal, actions: actionsOf(statement) }))).toStrictEqual([{ principal: { Service: 'cloudfront.amazonaws.com' }, actions: ['s3:GetObject'] }]);
    expect(JSON.stringify(reads[0]!.Condition)).toMatch(/AWS:SourceArn/);
    // Plain HTTP is refused by the bucket itself.
    expect(statements.some((statement) => statement.Effect === 'Deny' && JSON.stringify(statement.Condition).includes('aws:SecureTransport'))).toBe(true);
    expect(distribution().Origins.find((origin: { S3OriginConfig?: unknown }) => origin.S3OriginConfig).OriginAccessControlId).toBeTruthy();
  });

  it('serves the API under /api/ uncached, with every viewer header but Host, over HTTPS only', () => {
    const [api] = distribution().CacheBehaviors as Record<string, any>[];
    expect(api).toMatchObject({ PathPattern: '/api/*', ViewerProtocolPolicy: 'https-only', AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'] });
    // The managed CachingDisabled and AllViewerExceptHostHeader policies.
    expect(api!.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    expect(api!.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
    const origin = distribution().Origins.find((candidate: { Id: string }) => candidate.Id === api!.TargetOriginId);
    // The origin is the stage's URL taken apart by CloudFormation: evaluated here with stand-in values.
    const refs = (name: string) => (name.startsWith('ApiDeploymentStage') ? DEFAULT_SETTINGS.stageName : { 'AWS::Region': 'eu-west-1', 'AWS::URLSuffix': 'amazonaws.com' }[name] ?? `<${name}>`);
    expect(evaluate(origin.DomainName, refs)).toMatch(/^<Api\w+>\.execute-api\.eu-west-1\.amazonaws\.com$/);
    expect(evaluate(origin.OriginPath, refs)).toBe(`/${DEFAULT_SETTINGS.stageName}`);
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    expect(distribution().DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(distribution().Logging).toBeTruthy();
  });

  it('adds the console’s Content Security Policy, naming the identity provider, and hardening headers', () => {
    const headers = only('AWS::CloudFront::ResponseHeadersPolicy')[1].Properties!.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(headers.ContentSecurityPolicy.ContentSecurityPolicy).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https://login.example.com https://auth.example.com; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(headers).toMatchObject({ FrameOptions: { FrameOption: 'DENY' }, ReferrerPolicy: { ReferrerPolicy: 'no-referrer' }, ContentTypeOptions: { Override: true } });
    expect(headers.StrictTransportSecurity.AccessControlMaxAgeSec).toBe(31_536_000);
  });

  it('deploys the build and its settings with the library’s deployer, which writes the console bucket and nothing else of ours', () => {
    const deployments = ofType(consoleResources(), 'Custom::CDKBucketDeployment');
    expect(deployments.length).toBe(2);
    for (const [, deployment] of deployments) expect(deployment.Properties!.DestinationBucketKeyPrefix).toBe('console/');
    const writes = ofType(consoleResources(), 'AWS::IAM::Policy')
      .filter(([id]) => isConsoleDeployer(id))
      .flatMap(([, policy]) => policy.Properties!.PolicyDocument.Statement as Statement[])
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith('s3:Put') || action.startsWith('s3:DeleteObject')));
    expect(writes.flatMap(resourcesOf).map(render).sort()).toStrictEqual([`<${siteBucketId()}.Arn>`, `<${siteBucketId()}.Arn>/*`]);
    const domain = { 'Fn::GetAtt': [only('AWS::CloudFront::Distribution')[0], 'DomainName'] };
    const url = { 'Fn::Join': ['', ['https://', domain, '/console/']] };
    expect(synth.console!.outputs.ConsoleUrl.Value).toStrictEqual(url);
  });

  it('tells the console the identity provider the API trusts, its client there, and how to ask for the API’s audience', () => {
    const settings = { ...DEFAULT_SETTINGS, jwtIssuer: context.jwtIssuer, consoleClientId: 'tokens-console' };
    expect(consoleConfig(settings)).toStrictEqual({ issuer: context.jwtIssuer, clientId: 'tokens-console', scope: 'openid', bearer: 'access_token' });
    expect(consoleConfig({ ...settings, consoleAudienceParameter: 'audience', consoleBearer: 'id_token' })).toStrictEqual({
      issuer: context.jwtIssuer,
      clientId: 'tokens-console',
      scope: 'openid',
      audienceParameter: 'audience',
      audience: 'service-account-tokens',
      bearer: 'id_token',
    });
  });
});
