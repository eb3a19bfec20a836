import { RemovalPolicy, type Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Route } from '../routes.js';
import { addProblemGatewayResponses } from './gateway-responses.js';
import type { ServiceFunction } from './service-function.js';
import type { ServiceSettings } from './settings.js';

/**
 * The REST API: its stage (tracing, metrics, error-only execution logs, JSON access logs,
 * stage throttling), problem-JSON gateway responses, and one method per route. Resources
 * are made in the stack's own scope, so their logical ids do not depend on this module.
 */
export class ServiceApi {
  readonly api: apigw.RestApi;
  readonly accessLogs: logs.LogGroup;
  private readonly jsonObject: apigw.Model;
  private readonly bodyValidator: apigw.RequestValidator;

  constructor(stack: Stack, settings: ServiceSettings, removalPolicy: RemovalPolicy, routes: readonly Route[] = []) {
    const retention = settings.logRetentionDays;
    const accessLogs = (this.accessLogs = new logs.LogGroup(stack, 'AccessLogs', { retention, removalPolicy }));
    const metricsEnabled = settings.apiDetailedMetrics;
    this.api = new apigw.RestApi(stack, 'Api', {
      restApiName: stack.stackName,
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
        metricsEnabled,
        // Execution logs for errors only; never data traces, which would log credentials.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: settings.apiRateLimit,
        throttlingBurstLimit: settings.apiBurstLimit,
        // Routes with a throttle of their own (one anyone may call), within the stage's. A
        // method's settings replace the stage's for it, so its logging and metrics are repeated.
        methodOptions: Object.fromEntries(
          routes
            .filter((route) => route.throttle)
            .map((route) => [
              `${route.path}/${route.method}`,
              {
                loggingLevel: apigw.MethodLoggingLevel.ERROR,
                dataTraceEnabled: false,
                metricsEnabled,
                throttlingRateLimit: Math.min(route.throttle!.rateLimit, settings.apiRateLimit),
                throttlingBurstLimit: Math.min(route.throttle!.burstLimit, settings.apiBurstLimit),
              },
            ]),
        ),
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    // API Gateway would create this group itself, without a retention: made first, it keeps the stack's.
    const executionLogs = new logs.LogGroup(stack, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${settings.stageName}`,
      retention,
      removalPolicy,
    });
    this.api.deploymentStage.node.addDependency(executionLogs);
    if (!settings.waf) {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'The web ACL was turned off for this stage by context (waf=false); docs/deploy.md says what it guards.',
      });
    }
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id:
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/' +
          'service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The policy AWS defines for the account-level API Gateway logging role.',
      });
    }
    this.jsonObject = this.api.addModel('JsonObject', {
      contentType: 'application/json',
      description: 'Any JSON object; the function validates its fields',
      schema: { schema: apigw.JsonSchemaVersion.DRAFT4, title: 'JsonObject', type: apigw.JsonSchemaType.OBJECT },
    });
    // cdk-nag (APIG2) asks for parameter validation too; the routes declare no parameters
    // beyond their path, so it changes nothing.
    this.bodyValidator = this.api.addRequestValidator('JsonBody', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    addProblemGatewayResponses(this.api);
  }

  /** The route's method, integrated with its function, behind the authorizer unless the route is public. */
  addRoute(route: Route, fn: ServiceFunction, authorizer: apigw.RequestAuthorizer | undefined): void {
    // The alias: CodeDeploy moves it to a new version gradually (infra/cdk/rollout.ts).
    const integration = new apigw.LambdaIntegration(fn.invocable, {
      proxy: true,
      // Console test invocations would need a second permission per method.
      allowTestInvoke: false,
    });
    const method = this.api.root.resourceForPath(route.path).addMethod(route.method, integration, {
      operationName: route.id,
      ...(authorizer
        ? { authorizer, authorizationType: apigw.AuthorizationType.CUSTOM, apiKeyRequired: true }
        : { authorizationType: apigw.AuthorizationType.NONE, apiKeyRequired: false }),
      ...(route.jsonBody
        ? { requestValidator: this.bodyValidator, requestModels: { 'application/json': this.jsonObject } }
        : {}),
    });
    if (authorizer) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason: 'A Lambda REQUEST authorizer accepts access tokens and JWTs from any OIDC provider, not only Cognito.',
      });
    } else {
      const reason = route.noAuthorizerBecause;
      if (!reason) throw new Error(`Route ${route.id} has no authorizer and does not say why (noAuthorizerBecause)`);
      Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
    }
  }
}

/**
 * One JSON object per request. Names the caller (principalId) and the key's id, never
 * the key value or any header: those carry credentials.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  // The dimension of the metrics the stack counts from these lines (infra/cdk/operations.ts).
  apiId: '$context.apiId',
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
