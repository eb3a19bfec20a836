import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { MAX_RPS_CEILING } from '../../shared/kernel/rate-tiers.js';
import { stageTagValue } from '../../shared/ratelimit/gateway-names.js';
import {
  authorizer as authorizerSpec,
  deployFunctions,
  queueFunctions,
  routes,
  scheduledFunctions,
  streamFunctions,
} from '../routes.js';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { alarmTopic } from './alarm-topic.js';
import { auditEvents } from './audit-events.js';
import { lifecycleNotifications, topicsKey } from './notifications.js';
import { ServiceApi } from './api.js';
import { OperationsStack } from './operations.js';
import { rolloutApplication } from './rollout.js';
import { ServiceFunction, type ServiceFunctionProps } from './service-function.js';
import { identityProviderMissing, type ServiceSettings } from './settings.js';
import { TokenTable } from './token-table.js';
import { allowApiKeyManagement } from './api-key-policy.js';
import { KEY_WORKER_TIMEOUT, keyWorkerSource, keyWorkQueues } from './key-worker.js';
import { PooledKeysStack, RateTiersStack } from './rate-tiers.js';
import { publishSharedKey, unthrottledKey, unthrottledPlan } from './usage-plans.js';
import { apiWebAcl } from './waf.js';

export interface ServiceAccountTokensStackProps extends StackProps {
  settings: ServiceSettings;
}

/**
 * The service's API in AWS, generated from the route table: a REST API whose every
 * authenticated method goes through one REQUEST authorizer and an API key the authorizer
 * chooses (a usage plan of the token's rate tier), one Lambda per route (the API and the
 * authorizer invoke their `live` aliases, rolled out gradually), the key worker and its
 * FIFO queue, the scheduled reconcile and lifecycle job, the deploy-time custom resource,
 * one DynamoDB table, the audit trail's bus and notices, the web ACL, and two nested
 * stacks: the rate tiers (usage plans and pooled keys) and operations (alarms, dashboard,
 * rollout). The console has a stack of its own (`console-stack.ts`).
 */
export class ServiceAccountTokensStack extends Stack {
  readonly settings: ServiceSettings;
  readonly api: apigw.RestApi;
  readonly table: TokenTable;
  /** Every function by id: routes, scheduled and deploy-time functions, the authorizer under `authorizer`. */
  readonly functions = new Map<string, ServiceFunction>();
  readonly unthrottledKey: apigw.ApiKey;
  readonly unthrottledPlan: apigw.UsagePlan;
  readonly rateTiers: RateTiersStack;
  readonly pooledKeys: PooledKeysStack;
  /** The topic owners subscribe to for lifecycle notices. */
  notices: sns.Topic | undefined;
  readonly alarmTopic: sns.ITopic;
  readonly operations: OperationsStack;

  constructor(scope: Construct, id: string, props: ServiceAccountTokensStackProps) {
    super(scope, id, { description: 'Service account access tokens: API Gateway, Lambda, DynamoDB', ...props });
    const settings = (this.settings = props.settings);
    if (identityProviderMissing(settings)) {
      Annotations.of(this).addWarningV2(
        'service-account-tokens:identity-provider',
        'No identity provider configured (context jwksUrl, jwtIssuer): JWT callers will be refused. See ' +
          'docs/deploy.md.',
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
      // Empty is unset (shared/kernel/config.ts). Declared so that `sam local --env-vars` may set
      // it: SAM overrides only variables the template names.
      DYNAMODB_ENDPOINT: '',
      JWKS_URL: settings.jwksUrl,
      JWT_ISSUER: settings.jwtIssuer,
      JWT_AUDIENCE: settings.jwtAudience,
      JWT_USER_CLAIM: settings.jwtUserClaim,
      TOKEN_LIMIT_PER_ACCOUNT: String(settings.tokenLimit),
      TOKEN_MAX_LIFETIME_DAYS: String(settings.tokenMaxLifetimeDays),
      REQUIRE_ALLOWED_CIDRS: String(settings.requireAllowedCidrs),
      EXPIRED_TOKEN_RETENTION_DAYS: String(settings.retentionDays),
      REST_API_ID: this.api.restApiId,
      // The name from settings, not `deploymentStage.stageName`: a reference to the stage
      // would make every function depend on the deployment that depends on it.
      API_STAGE: settings.stageName,
      // A maxRps above the stage's own limit could never be reached: the API refuses it.
      MAX_RPS: String(Math.min(settings.apiRateLimit, MAX_RPS_CEILING)),
      NEW_KEY_WARMUP_SECONDS: String(settings.newKeyWarmupSeconds),
      RATE_LIMITED_MAX: String(settings.rateLimitedMax),
      AUDIT_RETENTION_DAYS: String(settings.auditRetentionDays),
      SUSPEND_UNUSED_AFTER_DAYS: String(settings.suspendUnusedAfterDays),
    };
    // The tag every key of this stage and every tier plan carries (shared/ratelimit/gateway-names.ts).
    const stageTag = stageTagValue({ restApiId: this.api.restApiId, stage: settings.stageName });
    this.pooledKeys = new PooledKeysStack(this, 'PooledKeys', this.stackName);
    const keyQueues = keyWorkQueues(this);
    // No function names the tier plans: they are made after the stage, which needs every
    // function first; their ids are published to the table at deploy time instead.
    const keyWork = {
      KEY_QUEUE_URL: keyQueues.keys.queueUrl,
      KEY_WORKER_CALLS_PER_SECOND: String(settings.keyWorkerCallsPerSecond),
    };
    // Those that tell the key worker of a change, and may send to its queue alone.
    const sendsKeyChanges = (fn: ServiceFunction) => {
      fn.function.addEnvironment('KEY_QUEUE_URL', keyWork.KEY_QUEUE_URL);
      keyQueues.keys.grantSendMessages(fn.function);
    };
    const functionDefaults = {
      tableArn: table.tableArn,
      environment,
      logLevel: settings.logLevel,
      logRetention: settings.logRetentionDays,
      removalPolicy,
    };
    type Spec = Pick<
      ServiceFunctionProps,
      'id' | 'dynamodb' | 'partitions' | 'indexes' | 'description' | 'timeout' | 'alias'
    >;
    const addFunction = (constructId: string, spec: Spec) => {
      const fn = new ServiceFunction(this, constructId, { ...functionDefaults, ...spec });
      this.functions.set(spec.id, fn);
      return fn;
    };

    // The functions behind the API are invoked through an alias, rolled out gradually (rollout.ts).
    const authorizerFunction = addFunction('Authorizer', {
      ...authorizerSpec,
      alias: true,
      description: 'REQUEST authorizer: access tokens and OIDC JWTs',
    });
    const requestAuthorizer = new apigw.RequestAuthorizer(this, 'RequestAuthorizer', {
      handler: authorizerFunction.invocable,
      // Caching off: a suspended or deleted token is refused on its very next request.
      // Without a cache API Gateway needs no identity source, and an empty one lets the
      // authorizer answer 401 itself when both headers are missing.
      resultsCacheTtl: Duration.seconds(0),
      identitySources: [],
    });

    for (const route of routes) {
      const fn = addFunction(`Route-${route.id}`, {
        id: route.id,
        dynamodb: route.dynamodb,
        partitions: route.partitions,
        alias: true,
        description: `${route.method} ${route.path}: ${route.summary}`,
      });
      if (route.keyChanges) sendsKeyChanges(fn);
      service.addRoute(route, fn, route.auth === 'authenticated' ? requestAuthorizer : undefined);
    }

    for (const scheduled of scheduledFunctions) {
      const fn = addFunction(`Scheduled-${scheduled.id}`, {
        id: scheduled.id,
        dynamodb: scheduled.dynamodb,
        partitions: scheduled.partitions,
        indexes: scheduled.indexes,
        description: scheduled.summary,
        // A pass over what is due (or, for reconcile, every key, paced); nothing waits on it.
        timeout: Duration.minutes(5),
      });
      const access = 'apiKeys' in scheduled ? scheduled.apiKeys : undefined;
      if (access) allowApiKeyManagement(this, fn, access, stageTag);
      if ('keyChanges' in scheduled) sendsKeyChanges(fn);
      new events.Rule(this, `Schedule-${scheduled.id}`, {
        description: scheduled.summary,
        schedule: events.Schedule.expression(scheduled.schedule),
        targets: [new targets.LambdaFunction(fn.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
      });
    }

    this.unthrottledPlan = unthrottledPlan(this, this.api, this.unthrottledKey);
    let publisher: ServiceFunction | undefined;
    for (const deploy of deployFunctions) {
      const fn = addFunction(`Deploy-${deploy.id}`, {
        id: deploy.id,
        dynamodb: deploy.dynamodb,
        partitions: deploy.partitions,
        description: deploy.summary,
        timeout: Duration.minutes(1),
      });
      if (deploy.readsUnthrottledKey) {
        const pooled = new Map([...this.pooledKeys.keys].map(([rps, key]) => [rps, key.ref]));
        publishSharedKey(this, fn, this.unthrottledKey, this.api, pooled);
        publisher = fn;
      }
    }
    this.rateTiers = new RateTiersStack(this, 'RateTiers', {
      restApiId: this.api.restApiId,
      stage: settings.stageName,
      stageTag,
      namePrefix: this.stackName,
      pooled: this.pooledKeys,
      publisherArn: (publisher ?? fail('No deploy-time publisher')).function.functionArn,
    });
    // A plan names the stage: it is made once the stage is.
    this.rateTiers.node.addDependency(this.api.deploymentStage);

    for (const consumer of queueFunctions) {
      const fn = addFunction(`Queue-${consumer.id}`, {
        id: consumer.id,
        dynamodb: consumer.dynamodb,
        partitions: consumer.partitions,
        description: consumer.summary,
        timeout: KEY_WORKER_TIMEOUT,
      });
      allowApiKeyManagement(this, fn, consumer.apiKeys, stageTag);
      for (const [name, value] of Object.entries(keyWork)) fn.function.addEnvironment(name, value);
      fn.function.addEventSource(keyWorkerSource(keyQueues.keys));
    }

    const key = topicsKey(this, removalPolicy);
    let deadLetters: sqs.IQueue | undefined;
    for (const stream of streamFunctions) {
      const fn = addFunction(`Stream-${stream.id}`, {
        id: stream.id,
        dynamodb: stream.dynamodb,
        partitions: stream.partitions,
        description: stream.summary,
        timeout: Duration.minutes(1),
      });
      const audit = auditEvents(this, table, fn);
      deadLetters = audit.deadLetters;
      new CfnOutput(this, 'EventBusName', {
        description: 'The EventBridge bus that receives audit events',
        value: audit.bus.eventBusName,
      });
      this.notices = lifecycleNotifications(this, audit.bus, this.api.url, { notifyEmail: settings.notifyEmail, key });
      new CfnOutput(this, 'NotificationTopicArn', {
        description: 'The SNS topic of expiry, unused-token and leak notices',
        value: this.notices.topicArn,
      });
    }

    this.alarmTopic = alarmTopic(this, key, settings);
    const webAcl = settings.waf ? apiWebAcl(this, this.api.deploymentStage, routes, settings) : undefined;
    this.operations = new OperationsStack(this, 'Operations', {
      settings,
      api: { apiName: this.api.restApiName, stage: settings.stageName, restApiId: this.api.restApiId },
      functions: this.functions,
      authorizerId: authorizerSpec.id,
      forwarderId: 'forward-events',
      reconcileId: 'reconcile',
      accessLogs: service.accessLogs,
      deadLetters: deadLetters ?? fail('No audit dead-letter queue'),
      keyQueues,
      topic: this.alarmTopic,
      application: rolloutApplication(this),
      webAclName: webAcl?.name,
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the API (stage included)', value: this.api.url });
    new CfnOutput(this, 'TableName', { description: 'The DynamoDB table', value: table.tableName });
    new CfnOutput(this, 'RestApiId', {
      description: 'The REST API (the stage tag of its keys and tier plans is <RestApiId>/<stage>)',
      value: this.api.restApiId,
    });
    // What `npm run reconcile` and `npm run upgrade-rate-limits` need beside the table and the API.
    new CfnOutput(this, 'KeyQueueUrl', {
      description: 'The key worker’s queue (KEY_QUEUE_URL)',
      value: keyWork.KEY_QUEUE_URL,
    });
    new CfnOutput(this, 'TierPlans', {
      description: 'The rate tiers’ usage plans (TIER_PLANS for the scripts)',
      value: this.rateTiers.planList(),
    });
  }
}

function fail(message: string): never {
  throw new Error(message);
}
