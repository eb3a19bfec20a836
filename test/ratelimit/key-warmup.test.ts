import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { createAuthorizer } from '../../shared/auth/authorizer.js';
import type { ApiGatewayRateLimits } from '../../shared/ratelimit/aws-rate-limits.js';
import { LocalRateLimits } from '../../shared/ratelimit/local-rate-limits.js';
import { reconcileRateLimits } from '../../shared/ratelimit/reconcile.js';
import { SharedUsageKey } from '../../shared/ratelimit/shared-usage-key.js';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { domainTokens, startTestService, type TestService } from '../support/service.js';
import { SwitchableRateLimits } from '../support/switchable-rate-limits.js';
import { FakeApiGateway } from './fake-api-gateway.js';
import { awsRateLimits } from './fixture.js';

/**
 * API Gateway is reported to take seconds to honour a new key, and refuses calls that
 * present it meanwhile. A token is never refused for that: for `keyWarmupSeconds` it
 * presents its plan's bridge key (old enough, same rate) or, when the plan is as new as
 * the key, the shared key. The faked data plane here refuses keys younger than the
 * propagation delay, and every key the authorizer names is checked against it.
 */

const FIN = domainTokens('finance', 'sa-etl');
const API = { restApiId: 'w4rmup0000', stage: 'prod' };
const STAGE = `${API.restApiId}:${API.stage}`;
/** How long the fake takes to honour a key: well inside the 60 s warm-up, as AWS is reported to be. */
const PROPAGATION_MS = 30_000;

let api: TestService;
let fake: FakeApiGateway;
let limits: SwitchableRateLimits;
let sharedValue: string;
let now = Date.parse('2026-11-30T09:00:00.000Z');
const clock = () => new Date(now);

beforeAll(async () => {
  fake = new FakeApiGateway();
  fake.now = clock;
  const shared = fake.addKey('UnthrottledKey');
  fake.addPlan('UnthrottledPlan', STAGE, [shared.id]);
  sharedValue = shared.value;
  api = await startTestService({
    parts: (config) => {
      limits = new SwitchableRateLimits(
        new LocalRateLimits({
          documents: createDocumentClient({ region: 'local', endpoint: config.dynamodbEndpoint }),
          tableName: config.tableName,
        }),
      );
      return { rateLimits: limits };
    },
  });
  await new SharedUsageKey(api.documentClient, api.tableName).publish(sharedValue);
});
afterAll(async () => {
  fake?.restore();
  await api?.stop();
});

function container(keyWarmupSeconds?: number): ApiGatewayRateLimits {
  return awsRateLimits({
    apiGateway: { ...API, ...(keyWarmupSeconds === undefined ? {} : { keyWarmupSeconds }) },
    documents: api.documentClient,
    tableName: api.tableName,
    clock,
  });
}

beforeEach(() => {
  limits.current = container();
});

const context = {
  awsRequestId: 'test',
  functionName: 'authorizer',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

/** The key the authorizer names for a call made now (its own clock is the test's). */
async function presented(token: string): Promise<string> {
  const authorizer = createAuthorizer({ ...api.service.runtime, clock });
  const event = {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:local:000000000000:${API.restApiId}/prod/GET/api/v1/auth/whoami`,
    headers: { 'X-API-Token': token },
  };
  const result = await authorizer(event as unknown as APIGatewayRequestAuthorizerEvent, context);
  return result.usageIdentifierKey!;
}

const honoured = (value: string) => fake.honours(value, STAGE, clock(), PROPAGATION_MS);
const keyValue = (keyId: string) => fake.keys.get(keyId)!.value;

async function create(name: string, maxRps: number | null): Promise<string> {
  const created = await api.call('POST', FIN, { as: 'alice', body: { name, maxRps } });
  expect(created).toMatchObject({ status: 201 });
  return created.body.token;
}

async function keyIdOf(name: string): Promise<string> {
  const item = (await api.scanTable()).find((entry) => entry.pk === 'SA#sa-etl' && entry.sk === `TOKEN#${name}`);
  return String(item?.apiKeyId);
}

function bridgeOfRate(rps: number) {
  const plan = [...fake.plans.values()].find((candidate) => candidate.rateLimit === rps)!;
  return fake.bridgeKeys().find((key) => plan.keyIds.has(key.id))!;
}

describe('a new key warms up before it is presented', () => {
  it('presents the shared key while the plan is as new as the key, then the token’s own key', async () => {
    const token = await create('first-of-rate', 3);
    expect(await presented(token)).toBe(sharedValue);
    expect(honoured(sharedValue)).toBe(true);
    now += 59_000;
    expect(await presented(token)).toBe(sharedValue);
    now += 1_000;
    const own = keyValue(await keyIdOf('first-of-rate'));
    expect(await presented(token)).toBe(own);
    expect(honoured(own)).toBe(true);
  });

  it('presents the plan’s bridge key (same rate) once the plan is older than the warm-up', async () => {
    const token = await create('second-of-rate', 3);
    const bridge = bridgeOfRate(3);
    expect(await presented(token)).toBe(bridge.value);
    expect(honoured(bridge.value)).toBe(true);
    // The token's own key is not yet honoured: presenting it now would be refused.
    expect(honoured(keyValue(await keyIdOf('second-of-rate')))).toBe(false);
    now += 60_000;
    expect(await presented(token)).toBe(keyValue(await keyIdOf('second-of-rate')));
  });

  it('warms up the new key of a changed maxRps, on the bridge of the new rate’s plan when it has one', async () => {
    await create('bridge-maker', 4);
    now += 61_000;
    const token = await create('moving', 3);
    now += 61_000;
    expect((await api.call('PATCH', `${FIN}/moving`, { as: 'alice', body: { maxRps: 4 } })).status).toBe(200);
    expect(await presented(token)).toBe(bridgeOfRate(4).value);
    now += 60_000;
    expect(await presented(token)).toBe(keyValue(await keyIdOf('moving')));
  });

  it('never names a key the data plane refuses, at any moment of a busy timeline', async () => {
    const tokens = new Map<string, string>();
    let step = 0;
    for (let t = 0; t < 240; t += 5, now += 5_000) {
      // Creates, limit changes, suspensions and reactivations, every few seconds.
      if (t % 20 === 0) tokens.set(`busy-${t}`, await create(`busy-${t}`, 10 + (t % 40 === 0 ? 1 : 2)));
      if (t % 30 === 15) {
        const name = [...tokens.keys()][step++ % tokens.size]!;
        expect(
          (await api.call('PATCH', `${FIN}/${name}`, { as: 'alice', body: { maxRps: 20 + (t % 3) } })).status,
        ).toBe(200);
      }
      for (const token of tokens.values()) {
        const value = await presented(token);
        if (!honoured(value)) throw new Error(`at +${t}s the authorizer named a key API Gateway refuses`);
      }
    }
    expect(tokens.size).toBe(12);
  });

  it('is what makes the difference: without a warm-up, a new key is presented before it is honoured', async () => {
    limits.current = container(0);
    const token = await create('no-warmup', 7);
    const value = await presented(token);
    expect(value).toBe(keyValue(await keyIdOf('no-warmup')));
    expect(honoured(value)).toBe(false);
  });

  it('leaves reconcile nothing to do: bridge keys are their plans’, not orphans', async () => {
    now += 3_600_000;
    const report = await reconcileRateLimits(
      { tokens: api.service.runtime.tokens, rateLimits: container(), clock, orphanGraceSeconds: 0 },
      { apply: false },
    );
    expect(report.drift).toStrictEqual([]);
    expect(fake.bridgeKeys().length).toBeGreaterThan(0);
  });
});
