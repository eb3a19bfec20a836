import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { createAuthorizer } from '../../shared/auth/authorizer.js';
import { scheduledReconcile as createReconcile } from '../../shared/ratelimit/scheduled-reconcile.js';
import { ApiGateway } from '../../shared/ratelimit/api-gateway.mjs';
import {
  ApiGatewayRateLimits as ApiGatewayRateLimitsClass,
  type ApiGatewayRateLimits,
} from '../../shared/ratelimit/aws-rate-limits.js';
import { apiGatewayKeys } from '../../shared/ratelimit/aws-wiring.js';
import { apiGatewayKeysAtInit } from '../../shared/ratelimit/reconcile-wiring.js';
import { readConfig } from '../../shared/kernel/config.js';
import { createRuntime } from '../../shared/runtime/runtime.js';
import { awsRateLimits } from './fixture.js';
import { LocalRateLimits } from '../../shared/ratelimit/local-rate-limits.js';
import { SharedUsageKey } from '../../shared/ratelimit/shared-usage-key.js';
import { reconcileRateLimits } from '../../shared/ratelimit/reconcile.js';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { domainTokens, startTestService, type TestService } from '../support/service.js';
import { SwitchableRateLimits } from '../support/switchable-rate-limits.js';
import { FakeApiGateway } from './fake-api-gateway.js';

/**
 * The AWS wiring end to end, with only API Gateway's control plane faked: the HTTP
 * endpoints (the real Middy stack) keep keys in step, and the authorizer names the key
 * that API Gateway will throttle by.
 */

const FIN = domainTokens('finance', 'sa-etl');
let api: TestService;
let fake: FakeApiGateway;
let limits: SwitchableRateLimits;
let local: LocalRateLimits;
let rateLimits: ApiGatewayRateLimits;
let unthrottledValue: string;
let authorizer: ReturnType<typeof createAuthorizer>;

beforeAll(async () => {
  fake = new FakeApiGateway();
  unthrottledValue = fake.addKey('UnthrottledKey').value;
  api = await startTestService({
    parts: (config) => {
      local = new LocalRateLimits({
        documents: createDocumentClient({ region: 'local', endpoint: config.dynamodbEndpoint }),
        tableName: config.tableName,
      });
      limits = new SwitchableRateLimits(local);
      return { rateLimits: limits };
    },
  });
  // What the stack's custom resource writes at deploy time.
  await new SharedUsageKey(api.documentClient, api.tableName).publish(unthrottledValue);
  rateLimits = newContainer();
});

/** What a new Lambda container builds on its cold start: its own plan cache and shared-key reader. */
function newContainer(): ApiGatewayRateLimits {
  return awsRateLimits({
    apiGateway: { restApiId: 'a1b2c3d4e5', stage: 'prod' },
    documents: api.documentClient,
    tableName: api.tableName,
  });
}
afterAll(async () => {
  fake?.restore();
  await api?.stop();
});

function inAws(): void {
  limits.current = rateLimits;
  authorizer = createAuthorizer(api.service.runtime);
}

beforeEach(() => inAws());

const context = {
  awsRequestId: 'test',
  functionName: 'authorizer',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

async function authorize(headers: Record<string, string>): Promise<APIGatewayAuthorizerResult> {
  const event = {
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:local:000000000000:api/prod/GET/api/v1/auth/whoami',
    headers,
  } as unknown as APIGatewayRequestAuthorizerEvent;
  return authorizer(event, context);
}

async function create(name: string, maxRps: number | null): Promise<string> {
  const created = await api.call('POST', FIN, { as: 'alice', body: { name, maxRps } });
  expect(created).toMatchObject({ status: 201 });
  return created.body.token;
}

async function bindingOf(name: string) {
  const items = await api.scanTable();
  const token = items.find((item) => item.pk === 'SA#sa-etl' && item.sk === `TOKEN#${name}`);
  expect(token).toBeTruthy();
  return token as { lookupId: string; apiKeyId?: string; usageKey?: string };
}

describe('in AWS, the HTTP endpoints keep API Gateway in step', () => {
  it('binds, moves, disables and deletes the key of a token managed over HTTP', async () => {
    await create('http-managed', 5);
    const first = await bindingOf('http-managed');
    expect(first.apiKeyId && fake.keys.get(first.apiKeyId)?.enabled).toBeTruthy();

    expect((await api.call('PATCH', `${FIN}/http-managed`, { as: 'alice', body: { maxRps: 8 } })).status).toBe(200);
    const moved = await bindingOf('http-managed');
    expect(moved.apiKeyId).not.toBe(first.apiKeyId);
    expect(fake.keys.has(first.apiKeyId!)).toBe(false);

    expect(
      (await api.call('PATCH', `${FIN}/http-managed`, { as: 'alice', body: { status: 'SUSPENDED' } })).status,
    ).toBe(200);
    expect(fake.keys.get(moved.apiKeyId!)!.enabled).toBe(false);

    expect((await api.call('DELETE', `${FIN}/http-managed`, { as: 'alice' })).status).toBe(204);
    expect(!fake.keys.has(moved.apiKeyId!)).toBeTruthy();

    const report = await reconcileRateLimits(
      { tokens: api.service.runtime.tokens, rateLimits, clock: () => new Date(), orphanGraceSeconds: 0 },
      { apply: false },
    );
    expect(report.drift).toStrictEqual([]);
  });

  it('answers 503 with Retry-After, and stores nothing, when API Gateway cannot make the key', async () => {
    fake.fail('CreateApiKey');
    const refused = await api.call('POST', FIN, { as: 'alice', body: { name: 'not-made', maxRps: 5 } });
    expect(refused).toMatchObject({ status: 503 });
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(
      (await api.call('GET', `${FIN}`, { as: 'alice' })).body.tokens.some(
        (t: { name: string }) => t.name === 'not-made',
      ),
    ).toBe(false);
  });
});

describe('the authorizer names the usage identifier key', () => {
  it('is the shared unthrottled key for a token without a limit and for a JWT caller, without calling API Gateway', async () => {
    const token = await create('no-limit', null);
    rateLimits = newContainer();
    inAws();
    fake.resetCalls();
    for (let i = 0; i < 3; i++) {
      expect((await authorize({ 'X-API-Token': token })).usageIdentifierKey).toBe(unthrottledValue);
      expect((await authorize({ Authorization: `Bearer ${await api.jwt('alice')}` })).usageIdentifierKey).toBe(
        unthrottledValue,
      );
    }
    // The value comes from the table: the control plane's few requests a second are never spent on a request.
    expect(fake.calls).toStrictEqual([]);
  });

  it('is the unthrottled key, rather than a refusal, for a limited token whose key went missing', async () => {
    const token = await create('lost-key', 5);
    const { lookupId } = await bindingOf('lost-key');
    for (const key of [keys.token('sa-etl', 'lost-key'), keys.credential(lookupId)]) {
      await api.documentClient.send(
        new UpdateCommand({ TableName: api.tableName, Key: key, UpdateExpression: 'REMOVE apiKeyId, usageKey' }),
      );
    }
    expect((await authorize({ 'X-API-Token': token })).usageIdentifierKey).toBe(unthrottledValue);
  });

  it('names no key for a suspended token: it is refused first', async () => {
    const token = await create('suspended-key', 5);
    await api.call('PATCH', `${FIN}/suspended-key`, { as: 'alice', body: { status: 'SUSPENDED' } });
    await expect(authorize({ 'X-API-Token': token })).rejects.toThrow(/Unauthorized/);
  });

  it('names the token’s local key locally, the key the local gateway throttles by', async () => {
    limits.current = local;
    const token = await create('local-only', 5);
    const { usageKey } = await bindingOf('local-only');
    const result = await authorize({ 'X-API-Token': token });
    expect(usageKey).toBeTruthy();
    expect(result.usageIdentifierKey).toBe(usageKey);
    expect(result.context?.maxRps).toBe(5);
    expect(await local.admit(result.usageIdentifierKey ?? undefined)).toStrictEqual({ allowed: true });
  });
});

describe('the wirings of the key-managing functions', () => {
  const env = {
    TABLE_NAME: 'unused',
    REST_API_ID: 'a1b2c3d4e5',
    API_STAGE: 'prod',
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };

  it('on the request path, build nothing of API Gateway at init and load the adapter on the first call that needs it', async () => {
    const runtime = createRuntime({ ...readConfig(env), tableName: api.tableName }, { documents: api.documentClient }, [
      apiGatewayKeys,
    ]);
    expect(runtime.rateLimits).not.toBeInstanceOf(ApiGatewayRateLimitsClass);
    fake.resetCalls();
    const binding = await runtime.rateLimits.bind({ lookupId: 'DeferredLookup00', maxRps: 3, enabled: true });
    expect(fake.keys.get(binding.apiKeyId)?.value).toBe(binding.usageKey);
    await runtime.rateLimits.setEnabled(binding, false);
    expect(fake.keys.get(binding.apiKeyId)?.enabled).toBe(false);
    await runtime.rateLimits.unbind(binding);
    expect(fake.keys.has(binding.apiKeyId)).toBe(false);
    expect(await runtime.rateLimits.sharedUsageKey()).toBe(unthrottledValue);
  });

  it('the scheduled reconcile loads the adapter on its first run, not at init, and keeps it for the next; it refuses to start without API Gateway', async () => {
    // Each adapter the function loads makes its API Gateway client once, through forRegion.
    const forRegion = ApiGateway.forRegion;
    let clients = 0;
    ApiGateway.forRegion = (region: string) => {
      clients += 1;
      return forRegion.call(ApiGateway, region);
    };
    try {
      const runtime = createRuntime(
        { ...readConfig(env), tableName: api.tableName },
        { documents: api.documentClient },
      );
      fake.resetCalls();
      const run = createReconcile(runtime);
      // Long enough for a load started at init to have made its client.
      await new Promise((settle) => setTimeout(settle, 200));
      expect({ clients, commands: fake.commands() }).toStrictEqual({ clients: 0, commands: [] });
      const context = {
        awsRequestId: 'r',
        functionName: 'reconcile',
        getRemainingTimeInMillis: () => 300_000,
      } as unknown as Context;
      const ours = [...fake.keys.values()].filter((key) => key.name.startsWith('sat-a1b2c3d4e5-prod-')).length;
      const first = await run({}, context);
      expect(first.keys).toBe(ours);
      expect(fake.commands()).toContain('GetApiKeys');
      expect(clients).toBe(1);
      const second = await run({}, context);
      expect(second.unrepaired).toBe(0);
      expect(clients).toBe(1);
    } finally {
      ApiGateway.forRegion = forRegion;
    }
    expect(() =>
      createReconcile(createRuntime(readConfig({ TABLE_NAME: api.tableName }), { documents: api.documentClient })),
    ).toThrow(/REST_API_ID and API_STAGE must be set/);
  });

  it('for reconcile, build the adapter itself at init; and add nothing where no API Gateway is configured', () => {
    const runtime = createRuntime({ ...readConfig(env), tableName: api.tableName }, { documents: api.documentClient }, [
      apiGatewayKeysAtInit,
    ]);
    expect(runtime.rateLimits).toBeInstanceOf(ApiGatewayRateLimitsClass);
    const local = readConfig({ TABLE_NAME: api.tableName });
    expect(
      apiGatewayKeys(local, { documents: api.documentClient, onCompensationFailure: () => undefined }),
    ).toStrictEqual({});
    expect(
      apiGatewayKeysAtInit(local, { documents: api.documentClient, onCompensationFailure: () => undefined }),
    ).toStrictEqual({});
  });
});
