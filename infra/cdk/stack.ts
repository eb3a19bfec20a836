import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { authorizer as authorizerSpec, type Route, routes, scheduledFunctions } from '../routes.js';
import { addProblemGatewayResponses } from './gateway-responses.js';
import { ServiceFunction } from './service-function.js';
import { identityProviderMissing, readSettings, type ServiceSettings } from './settings.js';
import { TokenTable } from './token-table.js';

export interface ServiceAccountTokensStackProps extends StackProps {
  /** @default read from CDK context (see `settings.ts`) */
  settings?: ServiceSettings;
}

/** What a function that keeps tokens and API Gateway in step may do: keys and usage plans, nothing else. */
const API_KEY_ACTIONS = ['apigateway:GET', 'apigateway:POST', 'apigateway:PATCH', 'apigateway:DELETE'];

/**
 * The whole service in AWS, generated from the route table: a REST API whose every
 * authenticated method goes through one REQUEST authorizer and an API key the authorizer
 * chooses (the token's usage plan), one Lambda per route, the scheduled reconcile, and
 * one DynamoDB table.
 */
export class ServiceAccountTokensStack extends Stack {
  readonly settings: ServiceSettings;
  readonly api: apigw.RestApi;
  readonly table: TokenTable;
  /** Route and scheduled functions by id, the authorizer under `authorizer`. */
  readonly functions = new Map<string, ServiceFunction>();
  readonly unthrottledKey: apigw.ApiKey;
  readonly unthrottledPlan: apigw.UsagePlan;

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

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: settings.logRetentionDays, removalPolicy });
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: this.stackName,
      description: 'Service account access tokens',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // The authorizer names the key (the token's usage plan); clients never send one.
      apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
      cloudWatchRole: settings.apiGatewayCloudWatchRole,
      // Account-wide: other APIs in the account log through it too, so it outlives this stack.
      ...(settings.apiGatewayCloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: settings.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        // Execution logs for errors only; never data traces, which would log credentials.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: settings.apiRateLimit,
        throttlingBurstLimit: settings.apiBurstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'Callers are machines with per-token rate limits behind a Lambda authorizer; a WAF web ACL is left to the operator.',
    });
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The policy AWS defines for the account-level API Gateway logging role.',
      });
    }

    // Shared by every function: a key with no dependency on the stage, so that functions
    // may name it without a cycle (stage -> deployment -> methods -> functions).
    this.unthrottledKey = new apigw.ApiKey(this, 'UnthrottledKey', {
      description: 'Shared by JWT callers and tokens without maxRps',
      enabled: true,
    });

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
      UNTHROTTLED_API_KEY_ID: this.unthrottledKey.keyId,
    };
    const functionDefaults = {
      tableArn: table.tableArn,
      environment,
      logLevel: settings.logLevel,
      logRetention: settings.logRetentionDays,
      removalPolicy,
    };

    const authorizerFunction = new ServiceFunction(this, 'Authorizer', {
      ...functionDefaults,
      id: authorizerSpec.id,
      dynamodb: authorizerSpec.dynamodb,
      description: 'REQUEST authorizer: access tokens and OIDC JWTs',
    });
    this.functions.set(authorizerSpec.id, authorizerFunction);
    if (authorizerSpec.readsUnthrottledKey) {
      authorizerFunction.allow(
        new iam.PolicyStatement({
          actions: ['apigateway:GET'],
          resources: [this.apiGatewayArn(`/apikeys/${this.unthrottledKey.keyId}`)],
        }),
      );
    }
    const requestAuthorizer = new apigw.RequestAuthorizer(this, 'RequestAuthorizer', {
      handler: authorizerFunction.function,
      // Caching off: a suspended or deleted token is refused on its very next request.
      // Without a cache API Gateway needs no identity source, and an empty one lets the
      // authorizer answer 401 itself when both headers are missing.
      resultsCacheTtl: Duration.seconds(0),
      identitySources: [],
    });

    const jsonObject = this.api.addModel('JsonObject', {
      contentType: 'application/json',
      description: 'Any JSON object; the function validates its fields',
      schema: { schema: apigw.JsonSchemaVersion.DRAFT4, title: 'JsonObject', type: apigw.JsonSchemaType.OBJECT },
    });
    // cdk-nag (APIG2) asks for parameter validation too; the routes declare no parameters
    // beyond their path, so it changes nothing.
    const bodyValidator = this.api.addRequestValidator('JsonBody', { validateRequestBody: true, validateRequestParameters: true });

    for (const route of routes) {
      const fn = new ServiceFunction(this, `Route-${route.id}`, {
        ...functionDefaults,
        id: route.id,
        dynamodb: route.dynamodb,
        description: `${route.method} ${route.path}: ${route.summary}`,
      });
      this.functions.set(route.id, fn);
      if (route.managesApiKeys) this.allowApiKeyManagement(fn);
      this.addRouteMethod(route, fn, route.auth === 'authenticated' ? requestAuthorizer : undefined, jsonObject, bodyValidator);
    }

    for (const scheduled of scheduledFunctions) {
      const fn = new ServiceFunction(this, `Scheduled-${scheduled.id}`, {
        ...functionDefaults,
        id: scheduled.id,
        dynamodb: scheduled.scansTable ? [...scheduled.dynamodb, 'dynamodb:Scan'] : scheduled.dynamodb,
        description: scheduled.summary,
        // A full pass over tokens and keys; nothing waits on it.
        timeout: Duration.minutes(5),
      });
      this.functions.set(scheduled.id, fn);
      if (scheduled.managesApiKeys) this.allowApiKeyManagement(fn);
      new events.Rule(this, `Schedule-${scheduled.id}`, {
        description: scheduled.summary,
        schedule: events.Schedule.expression(scheduled.schedule),
        targets: [new targets.LambdaFunction(fn.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
      });
    }

    // Unthrottled: the stage limits still apply, and per-token plans are made at run time.
    this.unthrottledPlan = new apigw.UsagePlan(this, 'UnthrottledPlan', {
      description: 'No per-key limit: JWT callers and tokens without maxRps',
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    this.unthrottledPlan.addApiKey(this.unthrottledKey);

    addProblemGatewayResponses(this.api);

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the API (stage included)', value: this.api.url });
    new CfnOutput(this, 'TableName', { description: 'The DynamoDB table', value: table.tableName });
  }

  /** `arn:<partition>:apigateway:<region>::<path>`: API Gateway's control-plane resources. */
  private apiGatewayArn(path: string): string {
    return `arn:${this.partition}:apigateway:${this.region}::${path}`;
  }

  /**
   * Keys and usage plans of this region, and their key bindings (`/usageplans/{id}/keys/...`).
   * API Gateway names a key or plan only once it exists, so creation needs the collection.
   */
  private allowApiKeyManagement(fn: ServiceFunction): void {
    const resources = ['/apikeys', '/apikeys/*', '/usageplans', '/usageplans/*'].map((path) => this.apiGatewayArn(path));
    fn.allow(new iam.PolicyStatement({ actions: API_KEY_ACTIONS, resources }));
    for (const path of ['/apikeys/*', '/usageplans/*']) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::${path}]`,
        reason: 'Keys and usage plans for maxRps are created at run time, so their ids are unknown at deploy time.',
      });
    }
  }

  private addRouteMethod(
    route: Route,
    fn: ServiceFunction,
    authorizer: apigw.RequestAuthorizer | undefined,
    jsonObject: apigw.Model,
    bodyValidator: apigw.RequestValidator,
  ): void {
    const integration = new apigw.LambdaIntegration(fn.function, {
      proxy: true,
      // Console test invocations would need a second permission per method.
      allowTestInvoke: false,
    });
    const method = this.api.root.resourceForPath(route.path).addMethod(route.method, integration, {
      operationName: route.id,
      ...(authorizer
        ? { authorizer, authorizationType: apigw.AuthorizationType.CUSTOM, apiKeyRequired: true }
        : { authorizationType: apigw.AuthorizationType.NONE, apiKeyRequired: false }),
      ...(route.jsonBody ? { requestValidator: bodyValidator, requestModels: { 'application/json': jsonObject } } : {}),
    });
    if (authorizer) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason: 'A Lambda REQUEST authorizer accepts access tokens and JWTs from any OIDC provider, not only Cognito.',
      });
    } else {
      const reason = 'The health check is public by design: it reveals nothing and touches no data.';
      Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
    }
  }
}

/**
 * One JSON object per request. Names the caller (principalId) and the key's id, never
 * the key value or any header: those carry credentials.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  requestTimeEpoch: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  principalId: '$context.authorizer.principalId',
  authorizerStatus: '$context.authorizer.status',
  authorizerLatency: '$context.authorizer.latency',
  apiKeyId: '$context.identity.apiKeyId',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  errorType: '$context.error.responseType',
  errorMessage: '$context.error.message',
  xrayTraceId: '$context.xrayTraceId',
};
