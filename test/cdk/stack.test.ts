import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { gatewayResponses } from '../../infra/local/gateway.js';
import { authorizer, routes, scheduledFunctions } from '../../infra/routes.js';
import { DEFAULT_SETTINGS } from '../../infra/cdk/settings.js';
import { PROBLEM_CONTENT_TYPE, problemType } from '../../shared/http/problem.js';
import { config, resetConfig } from '../../shared/config.js';
import { TTL_ATTRIBUTE } from '../../shared/store/keys.js';
import { TABLE_KEYS } from '../../shared/store/table.js';
import { samEnvVars } from '../../scripts/sam-env.js';
import {
  actionsOf,
  integratedFunction,
  managedPoliciesOf,
  ofType,
  render,
  resourcePath,
  resourcesOf,
  type Statement,
  statementsOf,
  type Synthesized,
  synthesize,
} from './template-support.js';

/**
 * The synthesized stack, checked against the route table: one bundled synthesis for the
 * whole file (esbuild runs once per function), as `npm run synth` produces it.
 */

let synth: Synthesized;
const allFunctionIds = [...routes.map((route) => route.id), authorizer.id, ...scheduledFunctions.map((fn) => fn.id)];
const tableId = () => ofType(synth.resources, 'AWS::DynamoDB::Table')[0]![0];
const apiId = () => ofType(synth.resources, 'AWS::ApiGateway::RestApi')[0]![0];
const keyId = () => ofType(synth.resources, 'AWS::ApiGateway::ApiKey')[0]![0];
const stageId = () => ofType(synth.resources, 'AWS::ApiGateway::Stage')[0]![0];

function methodFor(method: string, path: string) {
  const found = ofType(synth.resources, 'AWS::ApiGateway::Method').filter(
    ([, resource]) => resource.Properties!.HttpMethod === method && resourcePath(synth.resources, resource.Properties!.ResourceId) === path,
  );
  assert.equal(found.length, 1, `exactly one ${method} ${path}`);
  return found[0]![1];
}

/** A statement as actions plus rendered resources, comparable with deepEqual. */
function normalized(statement: Statement) {
  assert.equal(statement.Effect, 'Allow');
  assert.equal(statement.Condition, undefined);
  return { actions: actionsOf(statement), resources: resourcesOf(statement).map(render).sort() };
}

const sortStatements = (statements: { actions: string[]; resources: string[] }[]) =>
  [...statements].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const apiGatewayArn = (path: string) => `arn:<AWS::Partition>:apigateway:<AWS::Region>::${path}`;

/** What the route table says a function may do, and the plumbing every function needs. */
function expectedStatements(id: string, logGroupId: string) {
  const route = routes.find((candidate) => candidate.id === id);
  const scheduled = scheduledFunctions.find((candidate) => candidate.id === id);
  const dynamodb = route?.dynamodb ?? (id === authorizer.id ? authorizer.dynamodb : [...scheduled!.dynamodb, ...(scheduled!.scansTable ? ['dynamodb:Scan'] : [])]);
  const statements = [
    { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`<${logGroupId}.Arn>`] },
    { actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'] },
  ];
  if (dynamodb.length > 0) statements.push({ actions: [...dynamodb].sort(), resources: [`<${tableId()}.Arn>`] });
  if (route?.managesApiKeys || scheduled?.managesApiKeys) {
    statements.push({
      actions: ['apigateway:DELETE', 'apigateway:GET', 'apigateway:PATCH', 'apigateway:POST'],
      resources: ['/apikeys', '/apikeys/*', '/usageplans', '/usageplans/*'].map(apiGatewayArn).sort(),
    });
  }
  if (id === authorizer.id && authorizer.readsUnthrottledKey) {
    statements.push({ actions: ['apigateway:GET'], resources: [apiGatewayArn(`/apikeys/<${keyId()}>`)] });
  }
  return sortStatements(statements);
}

before(() => {
  synth = synthesize({ bundle: true });
});
after(() => synth?.cleanup());

describe('routes and functions', () => {
  it('has one Lambda function per route, plus the authorizer and each scheduled function, and nothing else', () => {
    const functions = ofType(synth.resources, 'AWS::Lambda::Function').map(([id]) => id).sort();
    assert.deepEqual(functions, allFunctionIds.map((id) => synth.functionId(id)).sort());
    assert.equal(new Set(functions).size, allFunctionIds.length);
  });

  it('serves each route with its own function at its method and path', () => {
    assert.equal(ofType(synth.resources, 'AWS::ApiGateway::Method').length, routes.length);
    const seen = new Set<string>();
    for (const route of routes) {
      const method = methodFor(route.method, route.path);
      const target = integratedFunction(method);
      assert.equal(target, synth.functionId(route.id), `${route.method} ${route.path} invokes ${route.id}`);
      assert.equal(method.Properties!.Integration.Type, 'AWS_PROXY');
      assert.ok(!seen.has(target!), `${route.id} shares no function`);
      seen.add(target!);
      const entry = synth.resources[target!]!.Properties!.Description as string;
      assert.ok(entry.startsWith(`${route.method} ${route.path}`));
    }
  });

  it('puts the REQUEST authorizer and a required API key on every authenticated method, and neither on /health', () => {
    const [authorizerId] = ofType(synth.resources, 'AWS::ApiGateway::Authorizer')[0]!;
    for (const route of routes) {
      const { Properties: props } = methodFor(route.method, route.path);
      if (route.auth === 'authenticated') {
        assert.equal(props!.AuthorizationType, 'CUSTOM', route.id);
        assert.deepEqual(props!.AuthorizerId, { Ref: authorizerId }, route.id);
        assert.equal(props!.ApiKeyRequired, true, route.id);
      } else {
        assert.equal(props!.AuthorizationType, 'NONE', route.id);
        assert.equal(props!.AuthorizerId, undefined, route.id);
        assert.notEqual(props!.ApiKeyRequired, true, route.id);
      }
    }
    assert.equal(methodFor('GET', '/health').Properties!.AuthorizationType, 'NONE');
  });

  it('runs the authorizer function with result caching off and no identity sources', () => {
    const authorizers = ofType(synth.resources, 'AWS::ApiGateway::Authorizer');
    assert.equal(authorizers.length, 1);
    const props = authorizers[0]![1].Properties!;
    assert.equal(props.Type, 'REQUEST');
    assert.equal(props.AuthorizerResultTtlInSeconds, 0);
    assert.ok(!props.IdentitySource, 'no identity source: the authorizer answers 401 itself when credentials are missing');
    assert.match(JSON.stringify(props.AuthorizerUri), new RegExp(`"${synth.functionId(authorizer.id)}","Arn"`));
  });

  it('takes API keys from the authorizer, not from a client header', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
  });

  it('checks that JSON bodies are objects on exactly the routes that take one', () => {
    const [modelId, model] = ofType(synth.resources, 'AWS::ApiGateway::Model')[0]!;
    assert.equal(model.Properties!.Schema.type, 'object');
    const [validatorId, validator] = ofType(synth.resources, 'AWS::ApiGateway::RequestValidator')[0]!;
    assert.equal(validator.Properties!.ValidateRequestBody, true);
    for (const route of routes) {
      const { Properties: props } = methodFor(route.method, route.path);
      if (route.jsonBody) {
        assert.deepEqual(props!.RequestModels, { 'application/json': { Ref: modelId } }, route.id);
        assert.deepEqual(props!.RequestValidatorId, { Ref: validatorId }, route.id);
      } else {
        assert.equal(props!.RequestModels, undefined, route.id);
      }
    }
  });

  it('runs reconcile on its EventBridge schedule', () => {
    for (const scheduled of scheduledFunctions) {
      synth.template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: scheduled.schedule,
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [synth.functionId(scheduled.id), 'Arn'] } })],
      });
      synth.template.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [synth.functionId(scheduled.id), 'Arn'] },
      });
    }
  });
});

describe('function defaults', () => {
  it('runs every function on nodejs24.x, arm64, with active tracing, its own log group and Powertools settings', () => {
    for (const id of allFunctionIds) {
      const props = synth.resources[synth.functionId(id)]!.Properties!;
      assert.equal(props.Runtime, 'nodejs24.x', id);
      assert.deepEqual(props.Architectures, ['arm64'], id);
      assert.deepEqual(props.TracingConfig, { Mode: 'Active' }, id);
      assert.equal(props.Handler, 'index.handler', id);
      const logGroupId = (props.LoggingConfig.LogGroup as { Ref: string }).Ref;
      assert.equal(synth.resources[logGroupId]!.Properties!.RetentionInDays, DEFAULT_SETTINGS.logRetentionDays, id);
      const env = props.Environment.Variables as Record<string, unknown>;
      assert.equal(env.POWERTOOLS_SERVICE_NAME, 'service-account-tokens', id);
      assert.equal(env.POWERTOOLS_METRICS_NAMESPACE, 'ServiceAccountTokens', id);
      assert.equal(env.POWERTOOLS_LOG_LEVEL, 'INFO', id);
      assert.equal(env.NODE_OPTIONS, '--enable-source-maps', id);
    }
  });

  it('gives every function an environment that shared/config.ts accepts inside Lambda', () => {
    const saved = { ...process.env };
    try {
      for (const id of allFunctionIds) {
        const env = synth.resources[synth.functionId(id)]!.Properties!.Environment.Variables as Record<string, unknown>;
        for (const name of Object.keys(process.env)) delete process.env[name];
        // CloudFormation references become placeholders: config checks presence and form, not ids.
        for (const [name, value] of Object.entries(env)) process.env[name] = typeof value === 'string' ? value : `ref-${name}`;
        process.env.AWS_LAMBDA_FUNCTION_NAME = id;
        process.env.AWS_REGION = 'eu-west-1';
        resetConfig();
        const settings = config();
        assert.equal(settings.tableName, 'ref-TABLE_NAME', id);
        assert.equal(settings.dynamodbEndpoint, undefined, `${id}: no endpoint override in AWS`);
        assert.equal(settings.jwksUrl, DEFAULT_SETTINGS.jwksUrl, id);
        assert.equal(settings.jwtIssuer, DEFAULT_SETTINGS.jwtIssuer, id);
        assert.equal(settings.jwtAudience, DEFAULT_SETTINGS.jwtAudience, id);
        assert.equal(settings.jwtUserClaim, 'sub', id);
        assert.equal(settings.tokenLimitPerAccount, DEFAULT_SETTINGS.tokenLimit, id);
        assert.equal(settings.tokenMaxLifetimeDays, DEFAULT_SETTINGS.tokenMaxLifetimeDays, id);
        assert.equal(settings.expiredTokenRetentionDays, DEFAULT_SETTINGS.retentionDays, id);
        assert.deepEqual(settings.apiGateway, { restApiId: 'ref-REST_API_ID', stage: 'prod', unthrottledApiKeyId: 'ref-UNTHROTTLED_API_KEY_ID' }, id);
        assert.deepEqual(env.TABLE_NAME, { Ref: tableId() }, id);
        assert.deepEqual(env.REST_API_ID, { Ref: apiId() }, id);
        assert.deepEqual(env.UNTHROTTLED_API_KEY_ID, { Ref: keyId() }, id);
      }
    } finally {
      for (const name of Object.keys(process.env)) delete process.env[name];
      Object.assign(process.env, saved);
      resetConfig();
    }
  });

  it('names neither the stage, the deployment nor a usage plan in any function (that would be a dependency cycle)', () => {
    const stageLike = new Set(
      ofType(synth.resources, 'AWS::ApiGateway::Stage')
        .concat(ofType(synth.resources, 'AWS::ApiGateway::Deployment'), ofType(synth.resources, 'AWS::ApiGateway::UsagePlan'))
        .map(([id]) => id),
    );
    for (const [id, fn] of ofType(synth.resources, 'AWS::Lambda::Function')) {
      const text = JSON.stringify(fn.Properties);
      for (const other of stageLike) assert.ok(!text.includes(`"${other}"`), `${id} references ${other}`);
    }
  });
});

describe('least privilege', () => {
  it("grants each function exactly what its route table entry declares, and no managed policy", () => {
    for (const id of allFunctionIds) {
      const logicalId = synth.functionId(id);
      const logGroupId = (synth.resources[logicalId]!.Properties!.LoggingConfig.LogGroup as { Ref: string }).Ref;
      const actual = sortStatements(statementsOf(synth.resources, logicalId).map(normalized));
      assert.deepEqual(actual, expectedStatements(id, logGroupId), id);
      assert.deepEqual(managedPoliciesOf(synth.resources, logicalId), [], `${id} has no managed policy`);
    }
  });

  it('grants no wildcard action, and Resource "*" only for X-Ray', () => {
    for (const [policyId, policy] of ofType(synth.resources, 'AWS::IAM::Policy')) {
      for (const statement of policy.Properties!.PolicyDocument.Statement as Statement[]) {
        for (const action of actionsOf(statement)) {
          assert.ok(!action.includes('*'), `${policyId}: ${action}`);
        }
        if (resourcesOf(statement).includes('*')) {
          assert.ok(actionsOf(statement).every((action) => action.startsWith('xray:')), `${policyId}: ${actionsOf(statement).join(', ')} on *`);
        }
        if (actionsOf(statement).some((action) => action.startsWith('dynamodb:'))) {
          assert.deepEqual(resourcesOf(statement), [{ 'Fn::GetAtt': [tableId(), 'Arn'] }], `${policyId}: table only`);
        }
      }
    }
  });

  it('lets only the functions that keep keys in step manage keys and usage plans', () => {
    const managers = new Set([...routes, ...scheduledFunctions].filter((fn) => fn.managesApiKeys).map((fn) => fn.id));
    assert.ok(managers.size > 0);
    for (const id of allFunctionIds) {
      const writes = statementsOf(synth.resources, synth.functionId(id)).some((statement) =>
        actionsOf(statement).some((action) => action.startsWith('apigateway:') && action !== 'apigateway:GET'),
      );
      assert.equal(writes, managers.has(id), id);
    }
  });
});

describe('table', () => {
  it('keys pk/sk as strings, bills on demand, keeps point-in-time recovery and expires by TTL', () => {
    const tables = ofType(synth.resources, 'AWS::DynamoDB::Table');
    assert.equal(tables.length, 1);
    const props = tables[0]![1].Properties!;
    assert.deepEqual(props.KeySchema, [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ]);
    assert.deepEqual(props.AttributeDefinitions, [
      { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
    ]);
    assert.equal(props.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(props.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.deepEqual(props.TimeToLiveSpecification, { AttributeName: TTL_ATTRIBUTE, Enabled: true });
  });

  it('is protected from deletion and retained by default', () => {
    const [, table] = ofType(synth.resources, 'AWS::DynamoDB::Table')[0]!;
    assert.equal(table.Properties!.DeletionProtectionEnabled, true);
    assert.equal(table.DeletionPolicy, 'Retain');
    assert.equal(table.UpdateReplacePolicy, 'Retain');
  });
});

describe('API Gateway', () => {
  it('binds the unthrottled usage plan to the stage and puts the shared key in it', () => {
    const plans = ofType(synth.resources, 'AWS::ApiGateway::UsagePlan');
    assert.equal(plans.length, 1);
    const [planId, plan] = plans[0]!;
    assert.equal(plan.Properties!.Throttle, undefined);
    assert.equal(plan.Properties!.Quota, undefined);
    const stages = plan.Properties!.ApiStages as { ApiId: unknown; Stage: unknown; Throttle?: object }[];
    assert.equal(stages.length, 1);
    assert.deepEqual(stages[0]!.ApiId, { Ref: apiId() });
    assert.deepEqual(stages[0]!.Stage, { Ref: stageId() });
    assert.deepEqual(stages[0]!.Throttle ?? {}, {});
    synth.template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: keyId() },
      KeyType: 'API_KEY',
      UsagePlanId: { Ref: planId },
    });
    synth.template.hasResourceProperties('AWS::ApiGateway::ApiKey', { Enabled: true });
  });

  it('writes JSON access logs, traces with X-Ray and throttles at stage level, without data traces', () => {
    const [, stage] = ofType(synth.resources, 'AWS::ApiGateway::Stage')[0]!;
    const props = stage.Properties!;
    assert.equal(props.StageName, DEFAULT_SETTINGS.stageName);
    assert.equal(props.TracingEnabled, true);
    const logGroupId = (props.AccessLogSetting.DestinationArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    assert.equal(synth.resources[logGroupId]!.Type, 'AWS::Logs::LogGroup');
    const format = JSON.parse(props.AccessLogSetting.Format as string) as Record<string, string>;
    assert.equal(format.requestId, '$context.requestId');
    assert.equal(format.status, '$context.status');
    assert.ok(!JSON.stringify(format).includes('$context.identity.apiKey"'), 'never the key value');
    assert.deepEqual(props.MethodSettings, [
      {
        HttpMethod: '*',
        ResourcePath: '/*',
        DataTraceEnabled: false,
        LoggingLevel: 'ERROR',
        MetricsEnabled: true,
        ThrottlingRateLimit: DEFAULT_SETTINGS.apiRateLimit,
        ThrottlingBurstLimit: DEFAULT_SETTINGS.apiBurstLimit,
      },
    ]);
  });

  /** The gateway response body, as API Gateway would fill it in. */
  function renderedBody(template: string): Record<string, unknown> {
    const filled = template.replaceAll('$context.error.messageString', '"Missing Authentication Token"').replaceAll('$context.requestId', 'req-1');
    return JSON.parse(filled) as Record<string, unknown>;
  }

  function gatewayResponse(type: string) {
    const found = ofType(synth.resources, 'AWS::ApiGateway::GatewayResponse').filter(([, r]) => r.Properties!.ResponseType === type);
    assert.equal(found.length, 1, type);
    return found[0]![1].Properties!;
  }

  it('answers every customised gateway error with problem JSON', () => {
    const types = ['UNAUTHORIZED', 'ACCESS_DENIED', 'THROTTLED', 'QUOTA_EXCEEDED', 'INVALID_API_KEY', 'MISSING_AUTHENTICATION_TOKEN', 'DEFAULT_4XX', 'DEFAULT_5XX'];
    for (const type of types) {
      const props = gatewayResponse(type);
      assert.equal(props.ResponseParameters['gatewayresponse.header.Content-Type'], `'${PROBLEM_CONTENT_TYPE}'`, type);
      const body = renderedBody(props.ResponseTemplates['application/json'] as string);
      assert.deepEqual(Object.keys(body).slice(0, 5), ['type', 'title', 'status', 'detail', 'code'], type);
      assert.equal(body.type, problemType(body.code as string), type);
      assert.equal(body.status, Number(props.StatusCode), type);
      assert.equal(typeof body.detail, 'string', type);
    }
    for (const [, response] of ofType(synth.resources, 'AWS::ApiGateway::GatewayResponse')) {
      const props = response.Properties!;
      assert.equal(props.ResponseParameters['gatewayresponse.header.Content-Type'], `'${PROBLEM_CONTENT_TYPE}'`, props.ResponseType);
      assert.equal(renderedBody(props.ResponseTemplates['application/json'] as string).status, Number(props.StatusCode), props.ResponseType);
    }
  });

  it('refuses exactly as the local gateway does', () => {
    const same: [string, () => { statusCode: number; body: string }][] = [
      ['UNAUTHORIZED', gatewayResponses.unauthorized],
      ['ACCESS_DENIED', gatewayResponses.accessDenied],
      ['MISSING_AUTHENTICATION_TOKEN', gatewayResponses.notFound],
      ['REQUEST_TOO_LARGE', gatewayResponses.tooLarge],
      ['AUTHORIZER_FAILURE', gatewayResponses.authorizerFailure],
      ['DEFAULT_5XX', gatewayResponses.internal],
    ];
    for (const [type, local] of same) {
      const props = gatewayResponse(type);
      const expected = local();
      assert.equal(Number(props.StatusCode), expected.statusCode, type);
      const { requestId: _ignored, ...body } = renderedBody(props.ResponseTemplates['application/json'] as string);
      assert.deepEqual(body, JSON.parse(expected.body), type);
    }
  });

  it('answers an unknown route 404 and a throttled call 429 with Retry-After', () => {
    const missing = gatewayResponse('MISSING_AUTHENTICATION_TOKEN');
    assert.equal(missing.StatusCode, '404');
    assert.equal(renderedBody(missing.ResponseTemplates['application/json']).code, 'NOT_FOUND');
    const throttled = gatewayResponse('THROTTLED');
    assert.equal(throttled.StatusCode, '429');
    assert.equal(throttled.ResponseParameters['gatewayresponse.header.Retry-After'], "'1'");
    assert.equal(renderedBody(throttled.ResponseTemplates['application/json']).code, 'THROTTLED');
  });

  it('outputs the API URL and the table name', () => {
    assert.ok(synth.outputs.ApiUrl, 'ApiUrl');
    assert.match(JSON.stringify(synth.outputs.ApiUrl.Value), new RegExp(`"${apiId()}"`));
    assert.deepEqual(synth.outputs.TableName.Value, { Ref: tableId() });
  });
});

describe('assets for sam local', () => {
  it('points every function at a built bundle that exports the handler the template names', async () => {
    const expected = new Map<string, { id: string; exportName: string }>();
    for (const [id, fn] of ofType(synth.resources, 'AWS::Lambda::Function')) {
      const assetPath = fn.Metadata?.['aws:asset:path'] as string | undefined;
      assert.ok(assetPath, `${id} has aws:asset:path`);
      assert.equal(fn.Metadata?.['aws:asset:property'], 'Code', id);
      const [file, exportName] = (fn.Properties!.Handler as string).split('.') as [string, string];
      const bundle = [`${file}.mjs`, `${file}.js`].map((name) => join(synth.outdir, assetPath, name)).find((path) => existsSync(path));
      assert.ok(bundle, `${id}: ${assetPath}/${file}.mjs exists`);
      expected.set(bundle, { id, exportName });
    }
    // esbuild reads each bundle's export list without running it (running would start the function).
    const result = await build({
      entryPoints: [...expected.keys()],
      outdir: join(synth.outdir, 'export-check'),
      outbase: synth.outdir,
      bundle: false,
      write: false,
      metafile: true,
      format: 'esm',
      logLevel: 'silent',
    });
    const outputs = Object.values(result.metafile.outputs).filter((output) => output.entryPoint);
    assert.equal(outputs.length, expected.size);
    for (const output of outputs) {
      const { id, exportName } = expected.get(resolve(output.entryPoint!))!;
      assert.ok(output.exports.includes(exportName), `${id}: ${output.entryPoint} exports ${exportName} (has ${output.exports.join(', ')})`);
    }
  });

  it('declares every variable the sam-env file sets, so SAM applies them', () => {
    const vars = samEnvVars(synth.template.toJSON(), {
      dynamodbEndpoint: 'http://host.docker.internal:8000',
      jwksUrl: 'http://host.docker.internal:3000/.well-known/jwks.json',
      tableName: 'service-account-tokens',
    });
    assert.deepEqual(Object.keys(vars).sort(), allFunctionIds.map((id) => synth.functionId(id)).sort());
    for (const values of Object.values(vars)) {
      assert.equal(values.DYNAMODB_ENDPOINT, 'http://host.docker.internal:8000');
      assert.equal(values.REST_API_ID, '');
    }
  });
});
