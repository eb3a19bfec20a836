import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { MAX_RPS_CEILING } from '../../shared/config.js';
import { stageTagValue } from '../../shared/ratelimit/gateway-names.js';
import { authorizer as authorizerSpec, deployFunctions, routes, scheduledFunctions, streamFunctions } from '../routes.js';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { auditEvents } from './audit-events.js';
import { lifecycleNotifications } from './notifications.js';
import { ServiceApi } from './api.js';
import { acknowledgeLibraryFunctions, ConsoleHosting } from './console.js';
import { ServiceFunction, type ServiceFunctionProps } from './service-function.js';
import { identityProviderMissing, readSettings, type ServiceSettings } from './settings.js';
import { TokenTable } from './token-table.js';
import { allowApiKeyManagement } from './api-key-policy.js';
import { publishSharedKey, quotaAlarms, unthrottledKey, unthrottledPlan } from './usage-plans.js';

export interface ServiceAccountTokensStackProps extends StackProps {
  /** @default read from CDK context (see `settings.ts`) */
  settings?: ServiceSettings;
}

/**
 * The whole service in AWS, generated from the route table: a REST API whose every
 * authenticated method goes through one REQUEST authorizer and an API key the authorizer
 * chooses (the token's usage plan), one Lambda per route, the scheduled reconcile, the
 * deploy-time custom resource, one DynamoDB table, and the console (S3 and CloudFront).
 */
export class ServiceAccountTokensStack extends Stack {
  readonly settings: ServiceSettings;
  readonly api: apigw.RestApi;
  readonly table: TokenTable;
  /** Every function by id: routes, scheduled and deploy-time functions, the authorizer under `authorizer`. */
  readonly functions = new Map<string, ServiceFunction>();
  readonly unthrottledKey: apigw.ApiKey;
  readonly unthrottledPlan: apigw.UsagePlan;
  readonly console: ConsoleHosting;
  /** The topic owners subscribe to for lifecycle notices. */
  notices: sns.Topic | undefined;

  constructor(scope: Construct, id: string, props: ServiceAccountTokensStackProps = {}) {
    super(scope, id, { description: 'Service account access tokens: API Gateway, Lambda, DynamoDB', ...props });
    const settings = (this.settings = props.settings ?? readSettings(this.node));
    if (identityProviderMissing(settings)) {
      Annotations.of(this).addWarningV2(
        'service-account-tokens:identity-provider',
        'No identity provider configured (context jwksUrl, jwtIssuer): JWT callers will be refused. See docs/deploy.md.',
      );
    }
    const removalPolicy = settings.ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.table = new TokenTable(this, 'Tokens', { ephemeral: settings.ephemeral });
    const table = this.table.table;
    const service = new ServiceApi(this, settings, removalPolicy, routes);
    this.api = service.api;
    this.unthrottledKey = unthrottledKey(this);

    const environment: Record<string, string> = {
      TABLE_NAME: table.tableName,
      // Empty is unset (shared/config.ts). Declared so that `sam local --env-vars` may set
      // it: SAM overrides only variables the template names.
      DYNAMODB_ENDPOINT: '',
      JWKS_URL: settings.jwksUrl,
      JWT_ISSUER: settings.jwtIssuer,
      JWT_AUDIENCE: settings.jwtAudience,
      JWT_USER_CLAIM: settings.jwtUserClaim,
      TOKEN_LIMIT_PER_ACCOUNT: String(settings.tokenLimit),
      TOKEN_MAX_LIFETIME_DAYS: String(settings.tokenMaxLifetimeDays),
      EXPIRED_TOKEN_RETENTION_DAYS: String(settings.retentionDays),
      REST_API_ID: this.api.restApiId,
      // The name from settings, not `deploymentStage.stageName`: a reference to the stage
      // would make every function depend on the deployment that depends on it.
      API_STAGE: settings.stageName,
      // A maxRps above the stage's own limit could never be reached: the API refuses it.
      MAX_RPS: String(Math.min(settings.apiRateLimit, MAX_RPS_CEILING)),
      NEW_KEY_WARMUP_SECONDS: String(settings.newKeyWarmupSeconds),
      AUDIT_RETENTION_DAYS: String(settings.auditRetentionDays),
      SUSPEND_UNUSED_AFTER_DAYS: String(settings.suspendUnusedAfterDays),
    };
    // The tag every key and plan of this stage carries (shared/ratelimit/gateway-names.ts).
    const stageTag = stageTagValue({ restApiId: this.api.restApiId, stage: settings.stageName });
    const functionDefaults = { tableArn: table.tableArn, environment, logLevel: settings.logLevel, logRetention: settings.logRetentionDays, removalPolicy };
    const addFunction = (constructId: string, spec: Pick<ServiceFunctionProps, 'id' | 'dynamodb' | 'partitions' | 'scansTable' | 'indexes' | 'description' | 'timeout'>) => {
      const fn = new ServiceFunction(this, constructId, { ...functionDefaults, ...spec });
      this.functions.set(spec.id, fn);
      return fn;
    };

    const authorizerFunction = addFunction('Authorizer', { ...authorizerSpec, description: 'REQUEST authorizer: access tokens and OIDC JWTs' });
    const requestAuthorizer = new apigw.RequestAuthorizer(this, 'RequestAuthorizer', {
      handler: authorizerFunction.function,
      // Caching off: a suspended or deleted token is refused on its very next request.
      // Without a cache API Gateway needs no identity source, and an empty one lets the
      // authorizer answer 401 itself when both headers are missing.
      resultsCacheTtl: Duration.seconds(0),
      identitySources: [],
    });

    for (const route of routes) {
      const fn = addFunction(`Route-${route.id}`, { id: route.id, dynamodb: route.dynamodb, partitions: route.partitions, description: `${route.method} ${route.path}: ${route.summary}` });
      if (route.apiKeys) allowApiKeyManagement(this, fn, route.apiKeys, stageTag);
      service.addRoute(route, fn, route.auth === 'authenticated' ? requestAuthorizer : undefined);
    }

    for (const scheduled of scheduledFunctions) {
      const fn = addFunction(`Scheduled-${scheduled.id}`, {
        id: scheduled.id,
        dynamodb: scheduled.dynamodb,
        partitions: scheduled.partitions,
        scansTable: scheduled.scansTable,
        indexes: scheduled.indexes,
        description: scheduled.summary,
        // A pass over what is due (or, for reconcile, every token and key); nothing waits on it.
        timeout: Duration.minutes(5),
      });
      if (scheduled.apiKeys) allowApiKeyManagement(this, fn, scheduled.apiKeys, stageTag);
      new events.Rule(this, `Schedule-${scheduled.id}`, {
        description: scheduled.summary,
        schedule: events.Schedule.expression(scheduled.schedule),
        targets: [new targets.LambdaFunction(fn.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
      });
    }

    this.unthrottledPlan = unthrottledPlan(this, this.api, this.unthrottledKey);
    for (const deploy of deployFunctions) {
      const fn = addFunction(`Deploy-${deploy.id}`, { id: deploy.id, dynamodb: deploy.dynamodb, partitions: deploy.partitions, description: deploy.summary, timeout: Duration.minutes(1) });
      if (deploy.readsUnthrottledKey) publishSharedKey(this, fn, this.unthrottledKey, this.api);
    }

    for (const stream of streamFunctions) {
      const fn = addFunction(`Stream-${stream.id}`, { id: stream.id, dynamodb: stream.dynamodb, partitions: stream.partitions, description: stream.summary, timeout: Duration.minutes(1) });
      const { bus } = auditEvents(this, table, fn);
      new CfnOutput(this, 'EventBusName', { description: 'The EventBridge bus that receives audit events', value: bus.eventBusName });
      this.notices = lifecycleNotifications(this, bus, this.api.url, { notifyEmail: settings.notifyEmail, removalPolicy });
      new CfnOutput(this, 'NotificationTopicArn', { description: 'The SNS topic of expiry, unused-token and leak notices', value: this.notices.topicArn });
    }

    quotaAlarms(this, settings);

    this.console = new ConsoleHosting(this, 'Console', { api: this.api, settings, removalPolicy });
    acknowledgeLibraryFunctions(this);
    if (settings.consoleClientId === '') {
      Annotations.of(this).addWarningV2(
        'service-account-tokens:console-client',
        'No console client configured (context consoleClientId): the console cannot sign in. See docs/deploy.md.',
      );
    }

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the API (stage included)', value: this.api.url });
    new CfnOutput(this, 'TableName', { description: 'The DynamoDB table', value: table.tableName });
    new CfnOutput(this, 'ConsoleUrl', {
      description: 'The console (register it with the identity provider as the redirect and sign-out URI); the API is also under /api/ here',
      value: `https://${this.console.distribution.distributionDomainName}/console/`,
    });
  }
}
