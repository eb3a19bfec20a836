import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CfnResource } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import {
  authorizer,
  deployFunctions,
  queueFunctions,
  routes,
  scheduledFunctions,
  streamFunctions,
} from '../../infra/routes.js';
import { RATE_TIERS } from '../../shared/kernel/rate-tiers.js';
import { API_GATEWAY_MODULE, SQS_MODULE } from '../../infra/cdk/bundling.js';
import { DEFAULT_SETTINGS } from '../../infra/cdk/settings.js';
import { PROBLEM_CONTENT_TYPE, problemType } from '../../shared/http/problem.js';
import { readConfig } from '../../shared/kernel/config.js';
import { denyContext, gatewayResponses, localGatewayResponse } from '../../shared/http/gateway-responses.js';
import { UnauthorizedError } from '../../shared/kernel/errors.js';
import { mintToken } from '../../shared/kernel/token-format.js';
import { AUTH_FAILURE_DETAILS } from '../../shared/kernel/auth-failures.js';
import { PARTITIONS, TTL_ATTRIBUTE } from '../../shared/dynamodb/keys.js';
import { NOTIFIED_EVENTS } from '../../infra/cdk/notifications.js';
import { TABLE_KEYS } from '../../shared/dynamodb/table.js';
import { samEnvVars } from '../../scripts/sam-env.js';
import {
  actionsOf,
  integratedFunction,
  invokedFunction,
  allStatements,
  managedPoliciesOf,
  ofType,
  render,
  resourcePath,
  resourcesOf,
  type Resource,
  type Statement,
  statementsOf,
  serviceFunctions,
  type Synthesized,
  synthesize,
} from './template-support.js';

/**
 * The synthesized stack, checked against the route table: one bundled synthesis for the
 * whole file (one esbuild run bundles every function), as `npm run synth` produces it.
 */

let synth: Synthesized;
const allFunctionIds = [
  ...routes.map((route) => route.id),
  authorizer.id,
  ...scheduledFunctions.map((fn) => fn.id),
  ...deployFunctions.map((fn) => fn.id),
  ...queueFunctions.map((fn) => fn.id),
  ...streamFunctions.map((fn) => fn.id),
];
const busId = () => ofType(synth.resources, 'AWS::Events::EventBus')[0]![0];
const queueId = (pattern: RegExp) => ofType(synth.resources, 'AWS::SQS::Queue').find(([id]) => pattern.test(id))![0];
const deadLettersId = () => queueId(/^AuditEventsDeadLetters/);
const keyQueueId = () => queueId(/^KeyWork(?!DeadLetters)/);
/** A nested stack's template, by the start of its logical id. */
const nested = (prefix: string) => {
  const file = Object.keys(synth.templates).find((name) => name.includes(`prod${prefix}`))!;
  return synth.templates[file]!;
};
/** The output of the pooled keys' stack that gives a tier's key id. */
const pooledOutput = (rps: number) => {
  const { Outputs } = nested('PooledKeys');
  return Object.entries(Outputs ?? {}).find(([, output]) => same(output.Value, { Ref: `Pooled${rps}` }))![0];
};
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const pooledKeysId = () =>
  ofType(synth.resources, 'AWS::CloudFormation::Stack').find(([id]) => id.startsWith('PooledKeys'))![0];
const tableId = () => ofType(synth.resources, 'AWS::DynamoDB::Table')[0]![0];
const apiId = () => ofType(synth.resources, 'AWS::ApiGateway::RestApi')[0]![0];
const keyId = () => ofType(synth.resources, 'AWS::ApiGateway::ApiKey')[0]![0];
const stageId = () => ofType(synth.resources, 'AWS::ApiGateway::Stage')[0]![0];
/** The logical id of a function's `live` alias. */
function aliasId(id: string): string {
  const fn = synth.stack.functions.get(id)!;
  expect(fn.alias).toBeDefined();
  return synth.stack.getLogicalId(fn.alias!.node.defaultChild as CfnResource);
}

function methodFor(method: string, path: string) {
  const found = ofType(synth.resources, 'AWS::ApiGateway::Method').filter(
    ([, resource]) =>
      resource.Properties!.HttpMethod === method &&
      resourcePath(synth.resources, resource.Properties!.ResourceId) === path,
  );
  // `exactly one ${method} ${path}`
  expect(found.length).toBe(1);
  return found[0]![1];
}

/** A statement as actions plus rendered resources and conditions, comparable with deepEqual. */
function normalized(statement: Statement): ExpectedStatement {
  expect(statement.Effect).toBe('Allow');
  const condition = (statement as { Condition?: unknown }).Condition;
  return {
    actions: actionsOf(statement),
    resources: resourcesOf(statement).map(render).sort(),
    ...(condition ? { condition: renderDeep(condition) } : {}),
  };
}

/** Every intrinsic in a condition block rendered (`render`), the structure kept. */
function renderDeep(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(renderDeep);
  if (['Fn::Join', 'Ref', 'Fn::GetAtt'].some((key) => key in value)) return render(value);
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, renderDeep(inner)]));
}

interface ExpectedStatement {
  actions: string[];
  resources: string[];
  condition?: unknown;
}

const sortStatements = (statements: ExpectedStatement[]) =>
  [...statements].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** The stage tag's value as the template spells it: `<restApiId>/<stage>`. */
const stageTag = () => `<${apiId()}>/${DEFAULT_SETTINGS.stageName}`;
const requestTag = () => ({
  StringEquals: { 'aws:RequestTag/service-account-tokens:stage': stageTag() },
  'ForAllValues:StringEquals': { 'aws:TagKeys': ['service-account-tokens:stage'] },
});
const resourceTag = () => ({ StringEquals: { 'aws:ResourceTag/service-account-tokens:stage': stageTag() } });

/**
 * API Gateway rights per kind of function, written out: the key worker makes tagged keys
 * (the tag write may be checked on the tags resource, so it is granted there too, under
 * the same condition), puts them in and takes them out of tagged plans, and deletes
 * tagged keys; reconcile lists keys and the tier plans' keys. Neither may create, change
 * or delete a usage plan.
 */
function apiKeyStatements(access: 'worker' | 'reconcile'): ExpectedStatement[] {
  const on = (actions: string[], path: string, condition?: unknown) => ({
    actions: actions.map((a) => `apigateway:${a}`).sort(),
    resources: [apiGatewayArn(path)],
    ...(condition ? { condition } : {}),
  });
  if (access === 'reconcile') return [on(['GET'], '/apikeys'), on(['GET'], '/usageplans/*/keys', resourceTag())];
  return [
    on(['POST', 'PUT'], '/apikeys', requestTag()),
    on(['PUT'], '/tags/*', requestTag()),
    on(['POST'], '/usageplans/*/keys', resourceTag()),
    on(['DELETE', 'GET'], '/usageplans/*/keys/*', resourceTag()),
    on(['DELETE'], '/apikeys/*', resourceTag()),
  ];
}

/** The table statement: the declared actions, on the declared partitions only. */
function tableStatement(
  actions: readonly string[],
  partitions: readonly string[],
  indexes: readonly string[] = [],
): ExpectedStatement {
  return {
    actions: [...actions].sort(),
    // The indexes it queries, under the same partition condition (an index's partitions are its keys).
    resources: [`<${tableId()}.Arn>`, ...indexes.map((index) => `<${tableId()}.Arn>/index/${index}`)].sort(),
    condition: {
      'ForAllValues:StringLike': {
        'dynamodb:LeadingKeys': partitions.map((p) => PARTITIONS[p as keyof typeof PARTITIONS]),
      },
      Null: { 'dynamodb:LeadingKeys': 'false' },
    },
  };
}

const apiGatewayArn = (path: string) => `arn:<AWS::Partition>:apigateway:<AWS::Region>::${path}`;

/** What the route table says a function may do, and the plumbing every function needs. */
function expectedStatements(id: string, logGroupId: string) {
  const route = routes.find((candidate) => candidate.id === id);
  const scheduled = scheduledFunctions.find((candidate) => candidate.id === id);
  const deploy = deployFunctions.find((candidate) => candidate.id === id);
  const stream = streamFunctions.find((candidate) => candidate.id === id);
  const consumer = queueFunctions.find((candidate) => candidate.id === id);
  const table = route ?? deploy ?? scheduled ?? consumer ?? stream ?? authorizer;
  const statements: ExpectedStatement[] = [
    { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`<${logGroupId}.Arn>`] },
    { actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'] },
  ];
  if (table.dynamodb.length > 0) statements.push(tableStatement(table.dynamodb, table.partitions, scheduled?.indexes));
  const access = consumer?.apiKeys ?? (scheduled && 'apiKeys' in scheduled ? scheduled.apiKeys : undefined);
  if (access) statements.push(...apiKeyStatements(access));
  // Those that tell the key worker of a change may send to its queue, and only that.
  if ((route?.keyChanges ?? false) || (scheduled !== undefined && 'keyChanges' in scheduled)) {
    statements.push({
      actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
      resources: [`<${keyQueueId()}.Arn>`],
    });
  }
  // The worker reads its queue (and nothing else of SQS).
  if (consumer) {
    statements.push({
      actions: [
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
      ],
      resources: [`<${keyQueueId()}.Arn>`],
    });
  }
  // Only the deploy-time function reads keys' values: the unthrottled key's and the pooled keys'.
  if (deploy?.readsUnthrottledKey) {
    const pooled = RATE_TIERS.map((rps) => `<${pooledKeysId()}.Outputs.${pooledOutput(rps)}>`);
    statements.push({
      actions: ['apigateway:GET'],
      resources: [`<${keyId()}>`, ...pooled].map((id) => apiGatewayArn(`/apikeys/${id}`)).sort(),
    });
  }
  // The audit forwarder reads the table's stream (not the table), publishes to the stack's
  // bus alone, and describes batches it gave up on in its dead-letter queue.
  if (stream?.publishesEvents) {
    statements.push(
      {
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [`<${tableId()}.StreamArn>`],
      },
      { actions: ['dynamodb:ListStreams'], resources: ['*'] },
      { actions: ['events:PutEvents'], resources: [`<${busId()}.Arn>`] },
      {
        actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
        resources: [`<${deadLettersId()}.Arn>`],
      },
    );
  }
  return sortStatements(statements);
}

beforeAll(() => {
  synth = synthesize({ bundle: true, validate: true });
});
afterAll(() => synth?.cleanup());

describe("the CDK's CloudFormation validation", () => {
  it('finds nothing in the templates (it would only warn: here a finding fails)', () => {
    const report = JSON.parse(readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8'));
    const findings = report.pluginReports.flatMap((plugin: { violations: unknown[] }) => plugin.violations);
    expect(findings).toStrictEqual([]);
  });
});

describe('routes and functions', () => {
  it('has one Lambda function per route, plus the authorizer, each scheduled and each deploy-time function, and nothing else', () => {
    const functions = serviceFunctions(synth.resources)
      .map(([id]) => id)
      .sort();
    expect(functions).toStrictEqual(allFunctionIds.map((id) => synth.functionId(id)).sort());
    expect(new Set(functions).size).toBe(allFunctionIds.length);
  });

  it('serves each route with its own function at its method and path', () => {
    expect(ofType(synth.resources, 'AWS::ApiGateway::Method').length).toBe(routes.length);
    const seen = new Set<string>();
    for (const route of routes) {
      const method = methodFor(route.method, route.path);
      const target = integratedFunction(synth.resources, method);
      // `${route.id} goes through its live alias`
      expect(invokedFunction(synth.resources, method.Properties!.Integration.Uri)?.alias).toBe(aliasId(route.id));
      // `${route.method} ${route.path} invokes ${route.id}`
      expect(target).toBe(synth.functionId(route.id));
      expect(method.Properties!.Integration.Type).toBe('AWS_PROXY');
      // `${route.id} shares no function`
      expect(!seen.has(target!)).toBeTruthy();
      seen.add(target!);
      const entry = synth.resources[target!]!.Properties!.Description as string;
      expect(entry.startsWith(`${route.method} ${route.path}`)).toBeTruthy();
    }
  });

  it('puts the REQUEST authorizer and a required API key on every authenticated method, and neither on /health nor the token exchange', () => {
    const [authorizerId] = ofType(synth.resources, 'AWS::ApiGateway::Authorizer')[0]!;
    for (const route of routes) {
      const { Properties: props } = methodFor(route.method, route.path);
      if (route.auth === 'authenticated') {
        // route.id
        expect(props!.AuthorizationType).toBe('CUSTOM');
        // route.id
        expect(props!.AuthorizerId).toStrictEqual({ Ref: authorizerId });
        // route.id
        expect(props!.ApiKeyRequired).toBe(true);
      } else {
        // route.id
        expect(props!.AuthorizationType).toBe('NONE');
        // route.id
        expect(props!.AuthorizerId).toBe(undefined);
        // route.id
        expect(props!.ApiKeyRequired).not.toBe(true);
      }
    }
    expect(methodFor('GET', '/health').Properties!.AuthorizationType).toBe('NONE');
    // Each open route has a credential of its own (a report's signature, the exchange's subject token): no authorizer, no API key.
    expect(methodFor('POST', '/api/v1/secret-scanning/github').Properties).toMatchObject({
      AuthorizationType: 'NONE',
      ApiKeyRequired: false,
    });
    expect(methodFor('POST', '/api/v1/auth/token').Properties).toMatchObject({
      AuthorizationType: 'NONE',
      ApiKeyRequired: false,
    });
    expect(routes.filter((route) => route.auth === 'none').map((route) => route.id)).toStrictEqual([
      'health',
      'exchange-token',
      'github-secret-scanning',
    ]);
  });

  it('runs the authorizer function with result caching off and no identity sources', () => {
    const authorizers = ofType(synth.resources, 'AWS::ApiGateway::Authorizer');
    expect(authorizers.length).toBe(1);
    const props = authorizers[0]![1].Properties!;
    expect(props.Type).toBe('REQUEST');
    expect(props.AuthorizerResultTtlInSeconds).toBe(0);
    // 'no identity source: the authorizer answers 401 itself when credentials are missing'
    expect(!props.IdentitySource).toBeTruthy();
    // Through its live alias, which CodeDeploy moves to a new version gradually.
    const invoked = invokedFunction(synth.resources, props.AuthorizerUri);
    expect(invoked).toStrictEqual({ function: synth.functionId(authorizer.id), alias: aliasId(authorizer.id) });
  });

  it('takes API keys from the authorizer, not from a client header', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
  });

  it('checks that JSON bodies are objects on exactly the routes that take one', () => {
    const [modelId, model] = ofType(synth.resources, 'AWS::ApiGateway::Model')[0]!;
    expect(model.Properties!.Schema.type).toBe('object');
    const [validatorId, validator] = ofType(synth.resources, 'AWS::ApiGateway::RequestValidator')[0]!;
    expect(validator.Properties!.ValidateRequestBody).toBe(true);
    for (const route of routes) {
      const { Properties: props } = methodFor(route.method, route.path);
      if (route.jsonBody) {
        // route.id
        expect(props!.RequestModels).toStrictEqual({ 'application/json': { Ref: modelId } });
        // route.id
        expect(props!.RequestValidatorId).toStrictEqual({ Ref: validatorId });
      } else {
        // route.id
        expect(props!.RequestModels).toBe(undefined);
      }
    }
  });

  it('runs reconcile and the lifecycle job on their hourly EventBridge schedules', () => {
    expect(scheduledFunctions.map((fn) => [fn.id, fn.schedule])).toStrictEqual([
      ['reconcile', 'rate(1 hour)'],
      ['lifecycle', 'rate(1 hour)'],
    ]);
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
      // id
      expect(props.Runtime).toBe('nodejs24.x');
      // id
      expect(props.Architectures).toStrictEqual(['arm64']);
      // id
      expect(props.TracingConfig).toStrictEqual({ Mode: 'Active' });
      // id
      expect(props.Handler).toBe('index.handler');
      const logGroupId = (props.LoggingConfig.LogGroup as { Ref: string }).Ref;
      // id
      expect(synth.resources[logGroupId]!.Properties!.RetentionInDays).toBe(DEFAULT_SETTINGS.logRetentionDays);
      const env = props.Environment.Variables as Record<string, unknown>;
      // id
      expect(env.POWERTOOLS_SERVICE_NAME).toBe('service-account-tokens');
      // id
      expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('ServiceAccountTokens');
      // id
      expect(env.POWERTOOLS_LOG_LEVEL).toBe('INFO');
      // id
      // --enable-source-maps would read every map as its bundle loads: the bundle reads its own at its first trace.
      expect(env.NODE_OPTIONS).toBeUndefined();
    }
  });

  it('gives every function an environment that shared/kernel/config.ts accepts inside Lambda', () => {
    for (const id of allFunctionIds) {
      const env = synth.resources[synth.functionId(id)]!.Properties!.Environment.Variables as Record<string, unknown>;
      // CloudFormation references become placeholders: config checks presence and form, not ids.
      const settings = readConfig({
        ...Object.fromEntries(
          Object.entries(env).map(([name, value]) => [name, typeof value === 'string' ? value : `ref-${name}`]),
        ),
        AWS_LAMBDA_FUNCTION_NAME: id,
        AWS_REGION: 'eu-west-1',
      });
      expect({ id, settings }).toMatchObject({
        id,
        settings: {
          tableName: 'ref-TABLE_NAME',
          // No endpoint override in AWS.
          dynamodbEndpoint: undefined,
          jwt: {
            jwksUrl: DEFAULT_SETTINGS.jwksUrl,
            issuer: DEFAULT_SETTINGS.jwtIssuer,
            audience: DEFAULT_SETTINGS.jwtAudience,
            userClaim: 'sub',
          },
          tokens: {
            limitPerAccount: DEFAULT_SETTINGS.tokenLimit,
            maxLifetimeDays: DEFAULT_SETTINGS.tokenMaxLifetimeDays,
            retentionDays: DEFAULT_SETTINGS.retentionDays,
            requireAllowedCidrs: false,
          },
          apiGateway: { restApiId: 'ref-REST_API_ID', stage: 'prod' },
          metrics: true,
        },
      });
      expect({ id, env: { TABLE_NAME: env.TABLE_NAME, REST_API_ID: env.REST_API_ID } }).toStrictEqual({
        id,
        env: { TABLE_NAME: { Ref: tableId() }, REST_API_ID: { Ref: apiId() } },
      });
    }
  });

  it('names neither the stage, the deployment nor a usage plan in any function (that would be a dependency cycle)', () => {
    // The tier plans' stack is made after the stage: a function naming one of its outputs would wait for it.
    const tiers = ofType(synth.resources, 'AWS::CloudFormation::Stack').filter(([id]) => id.startsWith('RateTiers'));
    expect(tiers).toHaveLength(1);
    const stageLike = new Set(
      ofType(synth.resources, 'AWS::ApiGateway::Stage')
        .concat(
          ofType(synth.resources, 'AWS::ApiGateway::Deployment'),
          ofType(synth.resources, 'AWS::ApiGateway::UsagePlan'),
          tiers,
        )
        .map(([id]) => id),
    );
    for (const [, fn] of serviceFunctions(synth.resources)) {
      const text = JSON.stringify(fn.Properties);
      for (const other of stageLike)
        expect(!text.includes(`"${other}"`)).toBeTruthy() /* `${id} references ${other}` */;
    }
  });
});

describe('least privilege', () => {
  it('grants each function exactly what its route table entry declares, and no managed policy', () => {
    for (const id of allFunctionIds) {
      const logicalId = synth.functionId(id);
      const logGroupId = (synth.resources[logicalId]!.Properties!.LoggingConfig.LogGroup as { Ref: string }).Ref;
      const actual = sortStatements(statementsOf(synth.resources, logicalId).map(normalized));
      // id
      expect(actual).toStrictEqual(expectedStatements(id, logGroupId));
      // `${id} has no managed policy`
      expect(managedPoliciesOf(synth.resources, logicalId)).toStrictEqual([]);
    }
  });

  it('grants no wildcard action, and Resource "*" only for X-Ray (and for listing streams, which has no other)', () => {
    const statements = allStatements(synth.resources);
    expect(statements.length > 0).toBe(true);
    for (const [, statement] of statements) {
      for (const action of actionsOf(statement)) {
        // `${holderId}: ${action}`
        expect(!action.includes('*')).toBeTruthy();
      }
      if (resourcesOf(statement).includes('*')) {
        // `${holderId}: ${actionsOf(statement).join(', ')} on *`
        const onAnything = (action: string) => action.startsWith('xray:') || action === 'dynamodb:ListStreams';
        expect(actionsOf(statement).every(onAnything)).toBeTruthy();
      }
      const streamActions = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];
      streamActions.push('dynamodb:ListStreams');
      if (actionsOf(statement).some((action) => action.startsWith('dynamodb:') && !streamActions.includes(action))) {
        // `${holderId}: table only`
        const indexes = resourcesOf(statement).slice(1).map(render);
        expect(resourcesOf(statement)[0]).toStrictEqual({ 'Fn::GetAtt': [tableId(), 'Arn'] });
        expect(indexes.every((index) => /^<.+\.Arn>\/index\/(notices|idle|ratekeys)$/.test(index))).toBe(true);
      }
    }
  });

  it('lets only the key worker manage keys, and no function create, change or delete a usage plan', () => {
    const managers = new Set(queueFunctions.map((fn) => fn.id));
    expect([...managers]).toStrictEqual(['key-worker']);
    for (const id of allFunctionIds) {
      const plans = statementsOf(synth.resources, synth.functionId(id)).filter((statement) =>
        resourcesOf(statement).some((resource) => /\/usageplans(\/\*)?"?\]?$/.test(JSON.stringify(resource))),
      );
      // id: no statement on a plan itself (only on a plan's keys)
      expect({ id, plans }).toStrictEqual({ id, plans: [] });
    }
    for (const id of allFunctionIds) {
      const writes = statementsOf(synth.resources, synth.functionId(id)).some((statement) =>
        actionsOf(statement).some((action) => action.startsWith('apigateway:') && action !== 'apigateway:GET'),
      );
      // id
      expect(writes).toBe(managers.has(id));
    }
  });
});

describe('table', () => {
  it('keys pk/sk as strings, bills on demand, keeps point-in-time recovery and expires by TTL', () => {
    const tables = ofType(synth.resources, 'AWS::DynamoDB::Table');
    expect(tables.length).toBe(1);
    const props = tables[0]![1].Properties!;
    expect(props.KeySchema).toStrictEqual([
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ]);
    expect(props.AttributeDefinitions).toStrictEqual([
      { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      { AttributeName: 'lifecycleShard', AttributeType: 'S' },
      { AttributeName: 'noticeAt', AttributeType: 'S' },
      { AttributeName: 'activeDay', AttributeType: 'S' },
      { AttributeName: 'keyShard', AttributeType: 'S' },
    ]);
    expect(props.BillingMode).toBe('PAY_PER_REQUEST');
    expect(props.PointInTimeRecoverySpecification).toStrictEqual({ PointInTimeRecoveryEnabled: true });
    expect(props.TimeToLiveSpecification).toStrictEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
  });

  it('has the lifecycle job’s two sparse indexes and reconcile’s, projecting what each acts on and not lastUsedAt', () => {
    const [, table] = ofType(synth.resources, 'AWS::DynamoDB::Table')[0]!;
    expect(table.Properties!.GlobalSecondaryIndexes).toStrictEqual([
      {
        IndexName: 'notices',
        KeySchema: [
          { AttributeName: 'lifecycleShard', KeyType: 'HASH' },
          { AttributeName: 'noticeAt', KeyType: 'RANGE' },
        ],
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: ['serviceAccountId', 'name', 'lookupId', 'expiresAt'],
        },
      },
      {
        IndexName: 'idle',
        KeySchema: [
          { AttributeName: 'lifecycleShard', KeyType: 'HASH' },
          { AttributeName: 'activeDay', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['serviceAccountId', 'name', 'lookupId', 'status'] },
      },
      {
        // Sparse: a token or policy is in it only while it has a limit or a key (reconcile reads it, never the table).
        IndexName: 'ratekeys',
        KeySchema: [{ AttributeName: 'keyShard', KeyType: 'HASH' }],
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: ['lookupId', 'policyId', 'maxRps', 'apiKeyId', 'keyPlanId', 'keyRps', 'capacityShard'],
        },
      },
    ]);
  });

  it('is protected from deletion and retained by default', () => {
    const [, table] = ofType(synth.resources, 'AWS::DynamoDB::Table')[0]!;
    expect(table.Properties!.DeletionProtectionEnabled).toBe(true);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });
});

describe('API Gateway', () => {
  it('binds the unthrottled usage plan to the stage and puts the shared key in it', () => {
    const plans = ofType(synth.resources, 'AWS::ApiGateway::UsagePlan');
    expect(plans.length).toBe(1);
    const [planId, plan] = plans[0]!;
    expect(plan.Properties!.Throttle).toBe(undefined);
    expect(plan.Properties!.Quota).toBe(undefined);
    const stages = plan.Properties!.ApiStages as { ApiId: unknown; Stage: unknown; Throttle?: object }[];
    expect(stages.length).toBe(1);
    expect(stages[0]!.ApiId).toStrictEqual({ Ref: apiId() });
    expect(stages[0]!.Stage).toStrictEqual({ Ref: stageId() });
    expect(stages[0]!.Throttle ?? {}).toStrictEqual({});
    synth.template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: keyId() },
      KeyType: 'API_KEY',
      UsagePlanId: { Ref: planId },
    });
    synth.template.hasResourceProperties('AWS::ApiGateway::ApiKey', { Enabled: true });
  });

  it('copies the shared keys’ values into the table at deploy time, before the stage serves requests', () => {
    const published = ofType(synth.resources, 'Custom::SharedUsageKey');
    expect(published.length).toBe(1);
    const [publishedId, resource] = published[0]!;
    const pooled = Object.fromEntries(
      RATE_TIERS.map((rps) => [String(rps), { 'Fn::GetAtt': [pooledKeysId(), `Outputs.${pooledOutput(rps)}`] }]),
    );
    expect(resource.Properties).toStrictEqual({
      ServiceToken: { 'Fn::GetAtt': [synth.functionId('publish-shared-key'), 'Arn'] },
      ApiKeyId: { Ref: keyId() },
      PooledKeyIds: pooled,
      ServiceTimeout: '300',
    });
    expect(synth.resources[stageId()]!.DependsOn).toContain(publishedId);
  });

  it('makes one usage plan per rate tier, rate and burst the tier, on the stage, tagged, each with its pooled key; publishes their ids', () => {
    const tiers = nested('RateTiers');
    const plans = ofType(tiers.Resources, 'AWS::ApiGateway::UsagePlan');
    expect(plans.map(([, plan]) => plan.Properties!.Throttle)).toStrictEqual(
      RATE_TIERS.map((rps) => ({ RateLimit: rps, BurstLimit: rps })),
    );
    for (const [planId, plan] of plans) {
      expect(plan.Properties!.ApiStages).toHaveLength(1);
      expect(plan.Properties!.Tags).toStrictEqual([{ Key: 'service-account-tokens:stage', Value: expect.anything() }]);
      const members = ofType(tiers.Resources, 'AWS::ApiGateway::UsagePlanKey').filter(
        ([, member]) => JSON.stringify(member.Properties!.UsagePlanId) === JSON.stringify({ Ref: planId }),
      );
      expect(members).toHaveLength(1);
    }
    // The plans name the stage: they are made once it is.
    const [tiersId, tiersStack] = ofType(synth.resources, 'AWS::CloudFormation::Stack').find(([id]) =>
      id.startsWith('RateTiers'),
    )!;
    expect(tiersStack.DependsOn).toContain(stageId());
    expect(tiersId).toBeDefined();
    const [, publication] = ofType(tiers.Resources, 'Custom::TierPlans')[0]!;
    expect(Object.keys(publication.Properties!.TierPlans)).toStrictEqual(RATE_TIERS.map(String));
    // The pooled keys are not tagged: no function may touch them.
    const keysOf = ofType(nested('PooledKeys').Resources, 'AWS::ApiGateway::ApiKey');
    expect(keysOf).toHaveLength(RATE_TIERS.length);
    expect(keysOf.every(([, key]) => key.Properties!.Tags === undefined)).toBe(true);
  });

  it('writes JSON access logs, traces with X-Ray and throttles at stage level, without data traces', () => {
    const [, stage] = ofType(synth.resources, 'AWS::ApiGateway::Stage')[0]!;
    const props = stage.Properties!;
    expect(props.StageName).toBe(DEFAULT_SETTINGS.stageName);
    expect(props.TracingEnabled).toBe(true);
    const logGroupId = (props.AccessLogSetting.DestinationArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(synth.resources[logGroupId]!.Type).toBe('AWS::Logs::LogGroup');
    const format = JSON.parse(props.AccessLogSetting.Format as string) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(format.status).toBe('$context.status');
    // 'never the key value'
    expect(!JSON.stringify(format).includes('$context.identity.apiKey"')).toBeTruthy();
    expect(props.MethodSettings).toStrictEqual([
      {
        HttpMethod: '*',
        ResourcePath: '/*',
        DataTraceEnabled: false,
        LoggingLevel: 'ERROR',
        MetricsEnabled: true,
        ThrottlingRateLimit: DEFAULT_SETTINGS.apiRateLimit,
        ThrottlingBurstLimit: DEFAULT_SETTINGS.apiBurstLimit,
      },
      // The routes anyone may call (the token exchange, secret scanning reports) throttle below the stage.
      ...routes
        .filter((route) => route.throttle)
        .map((route) => ({
          HttpMethod: route.method,
          ResourcePath: `/${route.path.replaceAll('/', '~1')}`,
          DataTraceEnabled: false,
          LoggingLevel: 'ERROR',
          MetricsEnabled: true,
          ThrottlingRateLimit: route.throttle!.rateLimit,
          ThrottlingBurstLimit: route.throttle!.burstLimit,
        })),
    ]);
    expect(routes.filter((route) => route.throttle).map((route) => [route.id, route.throttle])).toStrictEqual([
      ['exchange-token', { rateLimit: 50, burstLimit: 100 }],
      ['github-secret-scanning', { rateLimit: 10, burstLimit: 20 }],
    ]);
    expect(
      routes
        .filter((route) => route.auth === 'none' && route.id !== 'health')
        .every((route) => route.throttle !== undefined),
    ).toBe(true);
  });

  /** A Deny's context: a credential refused, in words that quote (`"Bearer "`). */
  const DENIED = denyContext(new UnauthorizedError('bearer-in-api-token'));

  /** The gateway response body, as API Gateway would fill it in. */
  function renderedBody(template: string): Record<string, unknown> {
    const filled = template
      .replaceAll('$context.error.messageString', '"Missing Authentication Token"')
      .replaceAll('$context.requestId', 'req-1')
      .replaceAll('$context.error.responseType', 'WAF_FILTERED');
    // What the authorizer's Deny says of itself, as its context gives it.
    const denied = Object.entries(DENIED).reduce(
      (text, [key, value]) => text.replaceAll(`$context.authorizer.${key}`, value),
      filled,
    );
    return JSON.parse(denied) as Record<string, unknown>;
  }

  function gatewayResponse(type: string) {
    const found = ofType(synth.resources, 'AWS::ApiGateway::GatewayResponse').filter(
      ([, r]) => r.Properties!.ResponseType === type,
    );
    // type
    expect(found.length).toBe(1);
    return found[0]![1].Properties!;
  }

  it('answers every gateway error with problem JSON, stating the status wherever it is fixed', () => {
    for (const [, response] of ofType(synth.resources, 'AWS::ApiGateway::GatewayResponse')) {
      const props = response.Properties!;
      const type = props.ResponseType as string;
      expect({ type, contentType: props.ResponseParameters['gatewayresponse.header.Content-Type'] }).toStrictEqual({
        type,
        contentType: `'${PROBLEM_CONTENT_TYPE}'`,
      });
      const body = renderedBody(props.ResponseTemplates['application/json'] as string);
      const fixed = props.StatusCode !== undefined;
      expect({ type, keys: Object.keys(body).slice(0, fixed ? 5 : 4) }).toStrictEqual({
        type,
        keys: ['type', 'title', ...(fixed ? ['status'] : []), 'detail', 'code'],
      });
      expect({ type, urn: body.type }).toStrictEqual({ type, urn: problemType(body.code as string) });
      expect({ type, status: body.status }).toStrictEqual({
        type,
        status: fixed ? Number(props.StatusCode) : undefined,
      });
      expect(typeof body.detail).toBe('string');
    }
  });

  it('keeps the own status of every error it does not map (WAF 403, 415, …): the catch-alls set none', () => {
    expect(gatewayResponse('DEFAULT_4XX').StatusCode).toBe(undefined);
    expect(gatewayResponse('DEFAULT_5XX').StatusCode).toBe(undefined);
    expect(renderedBody(gatewayResponse('DEFAULT_4XX').ResponseTemplates['application/json'] as string)).toMatchObject({
      code: 'REQUEST_REFUSED',
      responseType: 'WAF_FILTERED',
    });
    // Every type API Gateway documents is configured with its own status, so none falls through.
    const documented: Record<string, number> = {
      API_CONFIGURATION_ERROR: 500,
      BAD_REQUEST_PARAMETERS: 400,
      BAD_REQUEST_BODY: 400,
      EXPIRED_TOKEN: 403,
      INTEGRATION_FAILURE: 504,
      INTEGRATION_TIMEOUT: 504,
      INVALID_SIGNATURE: 403,
      QUOTA_EXCEEDED: 429,
      REQUEST_TOO_LARGE: 413,
      RESOURCE_NOT_FOUND: 404,
      THROTTLED: 429,
      UNAUTHORIZED: 401,
      UNSUPPORTED_MEDIA_TYPE: 415,
      WAF_FILTERED: 403,
      // Deliberately answered otherwise: what a retry may mend is 503 (an authorizer that could
      // not answer; a valid token whose key the gateway does not take), an unknown route 404.
      AUTHORIZER_CONFIGURATION_ERROR: 503,
      AUTHORIZER_FAILURE: 503,
      INVALID_API_KEY: 503,
      MISSING_AUTHENTICATION_TOKEN: 404,
      // The authorizer's Deny: a credential that did not authenticate.
      ACCESS_DENIED: 401,
    };
    for (const [type, status] of Object.entries(documented))
      expect({ type, status: Number(gatewayResponse(type).StatusCode) }).toStrictEqual({ type, status });
  });

  it('sends a WWW-Authenticate challenge with every 401 API Gateway answers (RFC 6750 §3, a fixed value)', () => {
    const unauthorized = ofType(synth.resources, 'AWS::ApiGateway::GatewayResponse').filter(
      ([, r]) => r.Properties!.StatusCode === '401',
    );
    expect(unauthorized.map(([, r]) => r.Properties!.ResponseType).sort()).toStrictEqual([
      'ACCESS_DENIED',
      'UNAUTHORIZED',
    ]);
    for (const [, response] of unauthorized)
      expect(response.Properties!.ResponseParameters['gatewayresponse.header.WWW-Authenticate']).toBe(
        `'Bearer realm="service-account-tokens"'`,
      );
  });

  it("answers the authorizer's Deny 401 with the reason its context gives, whatever the reason", () => {
    const denied = gatewayResponse('ACCESS_DENIED');
    const template = denied.ResponseTemplates['application/json'] as string;
    expect(template).toContain('"detail":"$context.authorizer.problemDetail"');
    for (const reason of Object.keys(AUTH_FAILURE_DETAILS) as (keyof typeof AUTH_FAILURE_DETAILS)[]) {
      // API Gateway splices each context value into the template as it is.
      const filled = Object.entries(denyContext(new UnauthorizedError(reason))).reduce(
        (text, [key, value]) => text.replaceAll(`$context.authorizer.${key}`, value),
        template,
      );
      expect({ reason, status: denied.StatusCode, body: JSON.parse(filled) }).toStrictEqual({
        reason,
        status: '401',
        body: {
          type: 'urn:service-account-tokens:problem:unauthorized',
          title: 'Unauthorized',
          status: 401,
          detail: AUTH_FAILURE_DETAILS[reason],
          code: 'UNAUTHORIZED',
        },
      });
    }
  });

  it('answers ACCESS_DENIED only for the authorizer: no resource policy, no IAM-authorized method', () => {
    for (const [, api] of ofType(synth.resources, 'AWS::ApiGateway::RestApi'))
      expect(api.Properties!.Policy).toBe(undefined);
    const kinds = new Set(
      ofType(synth.resources, 'AWS::ApiGateway::Method').map(([, m]) => m.Properties!.AuthorizationType as string),
    );
    expect([...kinds].sort()).toStrictEqual(['CUSTOM', 'NONE']);
  });

  it('refuses exactly as the local gateway does: one table of gateway responses', () => {
    const types = Object.keys(gatewayResponses) as (keyof typeof gatewayResponses)[];
    expect(
      ofType(synth.resources, 'AWS::ApiGateway::GatewayResponse')
        .map(([, r]) => r.Properties!.ResponseType)
        .sort(),
    ).toStrictEqual([...types].sort());
    for (const type of types) {
      const props = gatewayResponse(type);
      const local = localGatewayResponse(type, {
        message: 'Missing Authentication Token',
        requestId: 'req-1',
        responseType: 'WAF_FILTERED',
        authorizer: DENIED,
      });
      // A catch-all keeps API Gateway's status; locally it is the one the local gateway meets (400, 502).
      if (props.StatusCode !== undefined)
        expect({ type, status: Number(props.StatusCode) }).toStrictEqual({ type, status: local.statusCode });
      expect({ type, body: renderedBody(props.ResponseTemplates['application/json'] as string) }).toStrictEqual({
        type,
        body: JSON.parse(local.body),
      });
      const challenge = local.headers['WWW-Authenticate'];
      expect({ type, challenge: props.ResponseParameters['gatewayresponse.header.WWW-Authenticate'] }).toStrictEqual({
        type,
        challenge: challenge === undefined ? undefined : `'${challenge}'`,
      });
    }
  });

  it('answers an unknown route 404 and a throttled call 429 with Retry-After', () => {
    const missing = gatewayResponse('MISSING_AUTHENTICATION_TOKEN');
    expect(missing.StatusCode).toBe('404');
    expect(renderedBody(missing.ResponseTemplates['application/json']).code).toBe('NOT_FOUND');
    const throttled = gatewayResponse('THROTTLED');
    expect(throttled.StatusCode).toBe('429');
    expect(throttled.ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'1'");
    expect(renderedBody(throttled.ResponseTemplates['application/json']).code).toBe('THROTTLED');
  });

  it('answers a failed authorizer, and a key the gateway does not take, 503 with Retry-After, which CI retries', () => {
    const retryable = {
      AUTHORIZER_FAILURE: 'AUTHORIZER_FAILURE',
      AUTHORIZER_CONFIGURATION_ERROR: 'AUTHORIZER_FAILURE',
      INVALID_API_KEY: 'API_KEY_UNAVAILABLE',
    };
    for (const [type, code] of Object.entries(retryable)) {
      const response = gatewayResponse(type);
      const retryAfter = response.ResponseParameters['gatewayresponse.header.Retry-After'];
      const body = renderedBody(response.ResponseTemplates['application/json']);
      const expected = { type, status: '503', retryAfter: "'5'" };
      expect({ type, status: response.StatusCode, retryAfter }).toStrictEqual(expected);
      expect({ type, body }).toMatchObject({ type, body: { status: 503, code, requestId: 'req-1' } });
    }
    // The body names no key: a key is only ever presented for a token the authorizer accepted.
    const invalidKey = renderedBody(gatewayResponse('INVALID_API_KEY').ResponseTemplates['application/json']);
    expect(invalidKey.detail).not.toMatch(/key [A-Za-z0-9]{10}/);
  });

  it('outputs the API URL and the table name', () => {
    // 'ApiUrl'
    expect(synth.outputs.ApiUrl).toBeTruthy();
    expect(JSON.stringify(synth.outputs.ApiUrl.Value)).toMatch(new RegExp(`"${apiId()}"`));
    expect(synth.outputs.TableName.Value).toStrictEqual({ Ref: tableId() });
  });
});

describe('audit events', () => {
  it('hands the forwarder new events alone: inserts of an event key, not the incarnation records beside them', () => {
    // The table's stream's (the other is the key worker's queue).
    const mappings = ofType(synth.resources, 'AWS::Lambda::EventSourceMapping').filter(([, mapping]) =>
      JSON.stringify(mapping.Properties!.EventSourceArn).includes('StreamArn'),
    );
    expect(mappings.length).toBe(1);
    const filters = mappings[0]![1].Properties!.FilterCriteria.Filters as { Pattern: string }[];
    const patterns = filters.map((filter) => JSON.parse(filter.Pattern));
    const keys = { pk: { S: [{ prefix: 'EVENTS#' }] }, sk: { S: [{ prefix: 'EVENT#' }] } };
    expect(patterns).toStrictEqual([{ eventName: ['INSERT'], dynamodb: { Keys: keys } }]);
  });
});

describe('lifecycle notices', () => {
  const topicId = () => {
    const topics = ofType(synth.resources, 'AWS::SNS::Topic');
    return topics.find(([id]) => id.startsWith('LifecycleNotices'))![0];
  };

  it('publishes them to an encrypted topic, with a key of its own that EventBridge may use, refusing plain HTTP', () => {
    const topic = synth.resources[topicId()]!;
    const keyId = topic.Properties!.KmsMasterKeyId['Fn::GetAtt'][0] as string;
    expect(synth.resources[keyId]!.Type).toBe('AWS::KMS::Key');
    expect(synth.resources[keyId]!.Properties!.EnableKeyRotation).toBe(true);
    type WithPrincipal = Statement & { Principal?: unknown };
    const keyStatements = synth.resources[keyId]!.Properties!.KeyPolicy.Statement as WithPrincipal[];
    expect(
      keyStatements.some(
        (statement) =>
          JSON.stringify(statement.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }) &&
          actionsOf(statement).join() === 'kms:Decrypt,kms:GenerateDataKey',
      ),
    ).toBe(true);
    const policies = ofType(synth.resources, 'AWS::SNS::TopicPolicy')
      .filter(([, policy]) => JSON.stringify(policy.Properties!.Topics) === JSON.stringify([{ Ref: topicId() }]))
      .flatMap(([, policy]) => policy.Properties!.PolicyDocument.Statement as WithPrincipal[]);
    expect(
      policies.some(
        (statement) =>
          statement.Effect === 'Deny' && JSON.stringify(statement).includes('"aws:SecureTransport":"false"'),
      ),
    ).toBe(true);
    // EventBridge alone may publish to it, and only for this stack's four notice rules.
    const publishers = policies.filter((statement) => statement.Effect === 'Allow');
    expect(publishers.length).toBe(1);
    expect(JSON.stringify(publishers[0]!.Principal)).toBe(JSON.stringify({ Service: 'events.amazonaws.com' }));
    expect(actionsOf(publishers[0]!)).toStrictEqual(['sns:Publish']);
    const targetsTopic = ([, rule]: [string, Resource]) => {
      return JSON.stringify(rule.Properties!.Targets).includes(`"Ref":"${topicId()}"`);
    };
    const noticeRules = ofType(synth.resources, 'AWS::Events::Rule').filter(targetsTopic);
    expect(noticeRules.length).toBe(NOTIFIED_EVENTS.length);
    const ruleArns = noticeRules.map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
    expect(publishers[0]!.Condition).toStrictEqual({ ArnEquals: { 'aws:SourceArn': ruleArns } });
  });

  it('sends expiring, expired, suspended-unused and exposed events from the audit bus as readable messages', () => {
    const rules = ofType(synth.resources, 'AWS::Events::Rule').filter(([, rule]) => rule.Properties!.EventBusName);
    const byType: Record<string, any> = Object.fromEntries(
      rules.map(([, rule]) => [rule.Properties!.EventPattern['detail-type'][0], rule.Properties!]),
    );
    expect(Object.keys(byType).sort()).toStrictEqual([
      'token.expired',
      'token.expiring',
      'token.exposed',
      'token.suspended_unused',
    ]);
    for (const [type, rule] of Object.entries(byType)) {
      expect(rule.EventBusName).toStrictEqual({ Ref: busId() });
      expect(rule.EventPattern.source).toStrictEqual(['service-account-tokens']);
      const [target] = rule.Targets;
      expect(target.Arn).toStrictEqual({ Ref: topicId() });
      const { InputPathsMap: paths, InputTemplate: template } = target.InputTransformer;
      // Which account and token, when, and what to do, for each type.
      expect({ type, paths }).toMatchObject({
        type,
        paths: { 'detail-tokenName': '$.detail.tokenName', 'detail-serviceAccountId': '$.detail.serviceAccountId' },
      });
      expect(JSON.stringify(template)).toMatch(
        /access token .*<detail-tokenName>.* of service account <detail-serviceAccountId>/,
      );
      expect(JSON.stringify(template)).toMatch(
        type === 'token.expiring' || type === 'token.expired'
          ? /<detail-details-expiresAt>.*To rotate it: create a new token/
          : /<detail-time>.*reactivate it/,
      );
    }
  });

  it('subscribes no e-mail address unless one is given', () => {
    expect(ofType(synth.resources, 'AWS::SNS::Subscription')).toStrictEqual([]);
    synth.template.hasOutput('NotificationTopicArn', { Value: { Ref: topicId() } });
  });
});

describe('assets for sam local', () => {
  it('points every function at a built bundle that exports the handler the template names', async () => {
    const expected = new Map<string, { id: string; exportName: string }>();
    for (const [id, fn] of serviceFunctions(synth.resources)) {
      const assetPath = fn.Metadata?.['aws:asset:path'] as string | undefined;
      if (!assetPath) throw new Error(`${id} has no aws:asset:path`);
      // id
      expect(fn.Metadata?.['aws:asset:property']).toBe('Code');
      const [file, exportName] = (fn.Properties!.Handler as string).split('.') as [string, string];
      const bundle = [`${file}.mjs`, `${file}.js`]
        .map((name) => join(synth.outdir, assetPath, name))
        .find((path) => existsSync(path));
      if (!bundle) throw new Error(`${id}: ${assetPath}/${file}.mjs does not exist`);
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
    expect(outputs.length).toBe(expected.size);
    for (const output of outputs) {
      const { exportName } = expected.get(resolve(output.entryPoint!))!;
      // `${id}: ${output.entryPoint} exports ${exportName} (has ${output.exports.join(', ')})`
      expect(output.exports.includes(exportName)).toBeTruthy();
    }
  });

  /** A function's asset folder, and its bundle's code. */
  const assetOf = (id: string) => {
    const fn = synth.resources[synth.functionId(id)]!;
    const [file] = (fn.Properties!.Handler as string).split('.');
    const dir = join(synth.outdir, fn.Metadata!['aws:asset:path'] as string);
    return { dir, bundle: readFileSync(join(dir, `${file}.mjs`), 'utf8') };
  };

  it('carries the API Gateway and SQS SDKs beside the bundle, as files of their own, in the functions that call them and no other; jose in the JWT verifiers alone (beside the authorizer), the credential chain beside every bundle, a request schema in its endpoints alone', () => {
    // Nothing on the request path calls API Gateway: the key worker, reconcile and the
    // deploy-time publisher use it on every run (the first two import it with their first
    // run, not at init: test/unit/lambda-init.test.ts); no route bundle carries it (below).
    for (const id of allFunctionIds) {
      const callsApiGateway =
        [...scheduledFunctions, ...queueFunctions].some((fn) => fn.id === id && 'apiKeys' in fn) ||
        deployFunctions.some((fn) => fn.id === id && fn.readsUnthrottledKey);
      const { dir, bundle } = assetOf(id);
      const sdkFile = join(dir, API_GATEWAY_MODULE.file);
      // Operation names and error codes survive minification; class names do not.
      expect({ id, sdkInBundle: bundle.includes('"CreateUsagePlanKey"') }).toStrictEqual({ id, sdkInBundle: false });
      expect({ id, sdkBeside: existsSync(sdkFile) }).toStrictEqual({ id, sdkBeside: callsApiGateway });
      expect({ id, importsSdk: bundle.includes(`"${API_GATEWAY_MODULE.importPath}"`) }).toStrictEqual({
        id,
        importsSdk: callsApiGateway,
      });
      if (callsApiGateway) expect(readFileSync(sdkFile, 'utf8')).toContain('"CreateUsagePlanKey"');
      // SQS's SDK likewise, beside the functions that queue key changes (and no other), loaded by the first change.
      const queues =
        routes.some((route) => route.id === id && route.keyChanges) ||
        scheduledFunctions.some((fn) => fn.id === id && 'keyChanges' in fn);
      const sqsFile = join(dir, SQS_MODULE.file);
      expect({ id, sqsInBundle: bundle.includes('"SendMessage"') }).toStrictEqual({ id, sqsInBundle: false });
      expect({
        id,
        sqsBeside: existsSync(sqsFile),
        importsSqs: bundle.includes(`"${SQS_MODULE.importPath}"`),
      }).toStrictEqual({ id, sqsBeside: queues, importsSqs: queues });
      if (queues) expect(readFileSync(sqsFile, 'utf8')).toContain('"SendMessage"');
      // The exchange and the policy tests verify CI subject tokens on every call; the authorizer
      // verifies people's JWTs with jose from a file beside it, loaded by the first JWT.
      const verifiesJwts = id === 'exchange-token' || /^test-(domain|admin)-federation-policy$/.test(id);
      const verifierFile = join(dir, 'jwt-verifier.mjs');
      expect({
        id,
        jose: bundle.includes('ERR_JWS_SIGNATURE_VERIFICATION_FAILED'),
        verifierBeside: existsSync(verifierFile),
      }).toStrictEqual({ id, jose: verifiesJwts, verifierBeside: id === authorizer.id });
      if (id === authorizer.id)
        expect(readFileSync(verifierFile, 'utf8')).toContain('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
      // No bundle carries the SDK's credential chain beyond the environment's credentials: it is
      // a file beside each that makes an AWS client (every one but health's), for an environment
      // without them (shared/runtime/lambda-credentials.ts).
      const chainFile = join(dir, 'credential-chain.mjs');
      const makesClients = id !== 'health';
      expect({
        id,
        chainInBundle: bundle.includes('defaultProvider::fromSSO'),
        importsChain: bundle.includes('"./credential-chain.mjs"'),
        chainBeside: existsSync(chainFile) && readFileSync(chainFile, 'utf8').includes('defaultProvider::fromSSO'),
      }).toStrictEqual({ id, chainInBundle: false, importsChain: makesClients, chainBeside: makesClients });
      // No bundle imports node:http, node:net or node:dns as a module: building node:http's export
      // list loads Node's fetch (undici), about 30 ms of the exchange's init, and each wrapper costs
      // init time for a call made per request; the code takes each function when it first needs it.
      const builtins = /from\s*"(node:)?(http|net|dns)"/.exec(bundle)?.[2];
      expect({ id, builtins }).toStrictEqual({ id, builtins: undefined });
      // No bundle carries zod: the endpoints validate with closures (shared/http/rules.ts), and
      // zod's set-up of each kind of schema was most of a validating function's extra init.
      expect({ id, zod: bundle.includes('__zod_globalConfig') }).toStrictEqual({ id, zod: false });
      // The request rules are in the bundles whose endpoints validate a request, and only there.
      const validatesNothing = [
        ...['authorizer', 'health', 'whoami', 'self-token', 'exchange-token', 'list-admin-incarnations'],
        ...['list-domain-federation-policies', 'list-admin-federation-policies'],
        ...['lifecycle', 'reconcile', 'forward-events', 'key-worker', 'publish-shared-key'],
      ];
      expect({ id, rules: bundle.includes('is not an allowed field') }).toStrictEqual({
        id,
        rules: !validatesNothing.includes(id),
      });
    }
  });

  it.each([
    ['key-worker', API_GATEWAY_MODULE.file, 'ApiGateway', 'CreateUsagePlanKeyCommand'],
    ['create-domain-token', SQS_MODULE.file, 'SQSClient', 'SendMessageCommand'],
  ])(
    'ships %s an SDK file (%s) that loads on its own, as the bundle imports it, and makes a client',
    (id, file, client, command) => {
      const { dir } = assetOf(id);
      // A fresh process, as Lambda loads it: the SDK file beside the bundle, resolved from there.
      const script = `const sdk = await import(${JSON.stringify(pathToFileURL(join(dir, file)).href)});
      const made = new sdk[${JSON.stringify(client)}]({ region: 'eu-west-1' });
      const operations = typeof sdk[${JSON.stringify(command)}];
      process.stdout.write(JSON.stringify({ operations, region: await made.config.region() }));`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toStrictEqual({ operations: 'function', region: 'eu-west-1' });
    },
  );

  /**
   * The authorizer's bundle, in a fresh process with `env` over the settings below, asked to
   * authorize a token while a stand-in DynamoDB refuses every request with the error `refusal`:
   * its standard error, and the access key each request the stand-in received was signed with.
   */
  function runAuthorizer(env: Record<string, string>, refusal: string) {
    const { dir } = assetOf(authorizer.id);
    const script = `import { createServer } from 'node:http';
      const keys = [];
      const server = createServer((req, res) => {
        keys.push(/Credential=([^/]+)\\//.exec(req.headers.authorization ?? '')?.[1] ?? 'unsigned');
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: ${JSON.stringify(refusal)}, message: 'refused' }));
      });
      await new Promise((listening) => server.listen(0, '127.0.0.1', listening));
      process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://127.0.0.1:' + server.address().port;
      const { handler } = await import('./index.mjs');
      const event = { type: 'REQUEST', methodArn: 'arn:aws:execute-api:eu-west-1:000000000000:a/v1/GET/x',
        headers: { 'X-API-Token': ${JSON.stringify(mintToken().token)} }, requestContext: { identity: {} } };
      await handler(event, { functionName: 'authorizer', awsRequestId: 'r' }).catch(() => undefined);
      server.close();
      process.stdout.write(JSON.stringify(keys));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        AWS_LAMBDA_FUNCTION_NAME: 'authorizer',
        AWS_REGION: 'eu-west-1',
        TABLE_NAME: 'tokens',
        JWKS_URL: 'https://issuer.example/jwks.json',
        JWT_ISSUER: 'https://issuer.example',
        JWT_AUDIENCE: 'api',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
        ...env,
      },
    });
    expect(run.status).toBe(0);
    return { stderr: run.stderr, keys: JSON.parse(run.stdout) as string[] };
  }

  /** Whose credentials the authorizer's bundle signs its first DynamoDB read with, in a fresh process with `env`. */
  const signingKeys = (env: Record<string, string>) =>
    runAuthorizer(env, 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException').keys;

  it('signs with the credentials Lambda puts in the environment, and with the SDK’s whole chain without them', () => {
    expect(signingKeys({ AWS_ACCESS_KEY_ID: 'AKIDFROMENVIRONMENT', AWS_SECRET_ACCESS_KEY: 'secret' })).toStrictEqual([
      'AKIDFROMENVIRONMENT',
    ]);
    // No keys in the environment: a profile, which only the chain beside the bundle can read.
    const folder = mkdtempSync(join(tmpdir(), 'profile-'));
    writeFileSync(
      join(folder, 'credentials'),
      '[team]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = s\n',
    );
    const profile = {
      AWS_PROFILE: 'team',
      AWS_SHARED_CREDENTIALS_FILE: join(folder, 'credentials'),
      AWS_CONFIG_FILE: join(folder, 'config'),
    };
    try {
      expect(signingKeys(profile)).toStrictEqual(['AKIDFROMPROFILE']);
      // A profile named beside keys in the environment is the profile's, as the SDK's chain decides.
      expect(
        signingKeys({ ...profile, AWS_ACCESS_KEY_ID: 'AKIDFROMENVIRONMENT', AWS_SECRET_ACCESS_KEY: 's' }),
      ).toStrictEqual(['AKIDFROMPROFILE']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('writes a failure’s stack trace in the source’s files, lines and names, through the map beside the bundle', () => {
    // The function's own settings; a stand-in for each that names another resource.
    const settings = synth.resources[synth.functionId(authorizer.id)]!.Properties!.Environment.Variables;
    const env = Object.fromEntries(
      Object.entries(settings as Record<string, unknown>).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : `stand-in-${name.toLowerCase()}`,
      ]),
    );
    // DynamoDB refuses the authorizer's read: the function logs the SDK's error, with its stack.
    const { stderr } = runAuthorizer(
      { ...env, AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', POWERTOOLS_LOG_LEVEL: 'ERROR' },
      'com.amazon.coral.validate#ValidationException',
    );
    // An error's log line goes to standard error.
    const logged = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { message: string; error?: { name: string; stack: string } });
    const { error } = logged.find((entry) => entry.message === 'Authorizer failed')!;
    expect(error!.name).toBe('ValidationException');
    const frames = error!.stack.split('\n').slice(1);
    // Every frame of the bundle is the source's, by the project's paths.
    expect(frames.filter((frame) => frame.includes('index.mjs'))).toStrictEqual([]);
    expect(frames).toContainEqual(
      expect.stringMatching(/^ {4}at async \S+\.getCredential \(shared\/tokens\/credential-store\.ts:\d+:\d+\)$/),
    );
    expect(frames.some((frame) => frame.includes('(node_modules/@smithy/'))).toBe(true);
  });

  it('links every bundle to its source map, which its first stack trace reads', () => {
    for (const id of allFunctionIds) {
      const { dir, bundle } = assetOf(id);
      expect({ id, linked: bundle.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map') }).toStrictEqual({
        id,
        linked: true,
      });
      expect(JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')).sources.length).toBeGreaterThan(0);
    }
  });

  it('leaves no folder in the cloud assembly but the assets its manifests name', () => {
    const named = new Set(
      readdirSync(synth.outdir)
        .filter((file) => file.endsWith('.assets.json'))
        .flatMap((file) => {
          const { files = {} } = JSON.parse(readFileSync(join(synth.outdir, file), 'utf8'));
          return Object.values(files as Record<string, { source: { path: string } }>).map(({ source }) => source.path);
        }),
    );
    const stray = readdirSync(synth.outdir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !named.has(entry.name))
      .map((entry) => entry.name);
    expect(stray).toStrictEqual([]);
  });

  it('declares every variable the sam-env file sets, so SAM applies them', () => {
    const vars = samEnvVars(synth.template.toJSON(), {
      dynamodbEndpoint: 'http://host.docker.internal:8000',
      jwksUrl: 'http://host.docker.internal:3000/.well-known/jwks.json',
      tableName: 'service-account-tokens',
    });
    expect(Object.keys(vars).sort()).toStrictEqual(allFunctionIds.map((id) => synth.functionId(id)).sort());
    for (const values of Object.values(vars)) {
      expect(values.DYNAMODB_ENDPOINT).toBe('http://host.docker.internal:8000');
      expect(values.REST_API_ID).toBe('');
    }
  });
});
