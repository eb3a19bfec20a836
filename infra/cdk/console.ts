import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { AssetHashType, DockerImage, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { type ConsoleSettings, consoleCsp } from '../console-settings.js';
import { CONSOLE_ROOT, consoleSourceHash } from '../local/console-build.js';
import { nagFlatten, regionalName } from './names.js';
import type { ServiceSettings } from './settings.js';

export interface ConsoleHostingProps {
  api: apigw.RestApi;
  settings: ServiceSettings;
  removalPolicy: RemovalPolicy;
}

/** Where the console lives on its host: the same path as under `npm start`. */
const PREFIX = 'console';

/** The console's `config.json` in AWS: the identity provider the API trusts, and the console's client there. */
export function consoleConfig(settings: ServiceSettings): ConsoleSettings {
  return {
    issuer: settings.jwtIssuer,
    clientId: settings.consoleClientId,
    scope: settings.consoleScope,
    ...(settings.consoleAudienceParameter === 'none'
      ? {}
      : { audienceParameter: settings.consoleAudienceParameter, audience: settings.jwtAudience }),
    bearer: settings.consoleBearer,
  };
}

/**
 * The console in AWS: its build in a private S3 bucket read by CloudFront through origin
 * access control, and the API behind the same distribution under `/api/*`, so that the
 * console calls its own origin (no CORS). Security headers, the console's Content Security
 * Policy among them, are added by CloudFront; every bucket and the distribution log access.
 */
export class ConsoleHosting extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    const { settings, removalPolicy } = props;
    const ephemeral = settings.ephemeral;
    const bucket = (name: string, props: s3.BucketProps) =>
      new s3.Bucket(this, name, {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        removalPolicy,
        autoDeleteObjects: ephemeral,
        ...props,
      });
    const expiry = [{ expiration: Duration.days(settings.logRetentionDays) }];
    // S3 delivers its access logs under a bucket policy; CloudFront's standard logs need
    // an ACL-enabled bucket, so each has its own.
    const accessLogs = bucket('AccessLogs', { lifecycleRules: expiry });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket: logging its own access would loop.',
    });
    const cdnLogs = bucket('CdnLogs', {
      lifecycleRules: expiry,
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'cdn-logs/',
    });

    this.bucket = bucket('Site', { serverAccessLogsBucket: accessLogs, serverAccessLogsPrefix: 'site/' });

    const issuerOrigin = URL.parse(settings.jwtIssuer)?.origin;
    // CloudFront's policies, access controls and functions are named per account, across
    // Regions: each name carries the stack (its stage) and the Region.
    const stack = Stack.of(this);
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: regionalName(stack, 'headers', 128),
      comment: 'The console: its Content Security Policy and the usual hardening headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: consoleCsp([
            ...(issuerOrigin ? [issuerOrigin] : []),
            ...settings.consoleConnectOrigins,
          ]),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    // `/console/` is the page itself, as under npm start; the bare host leads there.
    const paths = new cloudfront.Function(this, 'ConsolePaths', {
      functionName: regionalName(stack, 'paths', 64),
      comment: 'Serves /console/ from its index.html; sends / and /console there',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(
        `function handler(event) {
  var request = event.request;
  if (request.uri === '/' || request.uri === '/${PREFIX}') {
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '/${PREFIX}/' } } };
  }
  if (request.uri.endsWith('/')) request.uri += 'index.html';
  return request;
}`,
      ),
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${stack.stackName}: the console, and the API under /api/`,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
          originAccessControl: new cloudfront.S3OriginAccessControl(this, 'SiteAccess', {
            originAccessControlName: regionalName(stack, 'site', 64),
          }),
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        functionAssociations: [{ function: paths, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        // Never cached; every header but Host reaches the API (Authorization and
        // X-API-Token included, which an uncached behaviour may forward).
        '/api/*': {
          origin: new origins.RestApiOrigin(props.api),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
      enableLogging: true,
      logBucket: cdnLogs,
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'The console and API serve every country; who may act is decided by sign-in and the directory.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The files are static; /api/* reaches the API stage, whose regional web ACL inspects it ' +
          '(a CloudFront web ACL would live in us-east-1).',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'The default CloudFront certificate cannot pin TLS 1.2; a custom domain with its own certificate can.',
      },
    );

    // The deployer (one function for both copies) logs here, with the stack's retention,
    // rather than in a group Lambda would create without one.
    const logGroup = new logs.LogGroup(this, 'DeployerLogs', { retention: settings.logRetentionDays, removalPolicy });
    // Hashed assets are immutable; the page and its settings are checked on every visit.
    const build = consoleBuild();
    new s3deploy.BucketDeployment(this, 'Assets', {
      sources: [build],
      destinationBucket: this.bucket,
      destinationKeyPrefix: `${PREFIX}/`,
      exclude: ['index.html'],
      cacheControl: [s3deploy.CacheControl.fromString('public, max-age=31536000, immutable')],
      // Old assets stay: a page loaded before a deployment still finds its scripts.
      prune: false,
      memoryLimit: 512,
      logGroup,
    });
    new s3deploy.BucketDeployment(this, 'Page', {
      sources: [build, s3deploy.Source.jsonData('config.json', consoleConfig(settings))],
      destinationBucket: this.bucket,
      destinationKeyPrefix: `${PREFIX}/`,
      exclude: ['*'],
      include: ['index.html', 'config.json'],
      cacheControl: [s3deploy.CacheControl.noCache()],
      prune: false,
      distribution: this.distribution,
      distributionPaths: [`/${PREFIX}/`, `/${PREFIX}/index.html`, `/${PREFIX}/config.json`],
      memoryLimit: 512,
      logGroup,
    });
  }
}

/**
 * The console's Vite build as an asset, keyed by the hash of everything it is built from.
 * Built locally (no Docker), through the same cached build `npm start` serves.
 */
function consoleBuild(): s3deploy.ISource {
  return s3deploy.Source.asset(CONSOLE_ROOT, {
    assetHash: consoleSourceHash(),
    assetHashType: AssetHashType.CUSTOM,
    bundling: {
      // Never used: local bundling always succeeds or fails the synthesis.
      image: DockerImage.fromRegistry('node:24-slim'),
      local: {
        tryBundle(outputDir) {
          execFileSync(
            process.execPath,
            ['--import', 'tsx', resolve(CONSOLE_ROOT, '../infra/local/console-build.ts'), outputDir],
            { stdio: ['ignore', 'ignore', 'inherit'] },
          );
          return true;
        },
      },
    },
  });
}

/**
 * The functions the CDK adds to copy the console into its bucket (and, for an ephemeral
 * stage, to empty the buckets on deletion): singletons at the stack's root, made by the
 * library, acknowledged there for the findings they carry by design.
 */
export function acknowledgeLibraryFunctions(stack: Stack): void {
  for (const child of stack.node.children) {
    if (child.node.id.startsWith('Custom::CDKBucketDeployment')) {
      const reason = (what: string) => ({
        reason:
          `The CDK’s bucket deployment function ${what}: the library’s own policy for copying the console into its ` +
          `bucket.`,
      });
      Validations.of(child).acknowledge(
        {
          id:
            'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/' +
            'service-role/AWSLambdaBasicExecutionRole]',
          ...reason('logs with the basic execution role'),
        },
        ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          ...reason(`uses ${action}`),
        })),
        ...assetBucketObjects(stack).map((objects) => ({
          id: `AwsSolutions-IAM5[Resource::${objects}]`,
          ...reason('reads the console asset from the CDK’s asset bucket'),
        })),
        {
          id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(consoleBucket(stack))}.Arn>/*]`,
          ...reason('writes any object of the console bucket'),
        },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          ...reason('invalidates the distribution’s cached page, which CloudFront grants only on *'),
        },
        {
          id: 'AwsSolutions-L1',
          reason: 'The runtime of the CDK’s bucket deployment function is the library’s choice, and moves with it.',
        },
      );
    }
  }
}

/**
 * The objects of the bucket the console's build is uploaded to, as cdk-nag writes them:
 * the bootstrap's asset bucket, whichever qualifier (or bucket) the synthesizer names.
 */
function assetBucketObjects(stack: Stack): string[] {
  const assets = stack.node.findAll().filter((construct): construct is Asset => construct instanceof Asset);
  return [...new Set(assets.map((asset) => nagFlatten(stack.resolve(asset.bucket.arnForObjects('*')))))];
}

function consoleBucket(stack: Stack): s3.CfnBucket {
  const hosting = stack.node.children.find((child): child is ConsoleHosting => child instanceof ConsoleHosting);
  if (!hosting) throw new Error('The stack has no console');
  return hosting.bucket.node.defaultChild as s3.CfnBucket;
}
