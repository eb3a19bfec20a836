import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { RateHolder } from '../../shared/auth/ports.js';
import { createObservability } from '../../shared/http/observability.js';
import { createKeyWorker } from '../../shared/ratelimit/key-worker-handler.js';
import { QueuedKeyChanges } from '../../shared/ratelimit/key-queue.js';
import type { Admission } from '../../shared/ratelimit/local-rate-limits.js';
import { PublishedUsageKeys } from '../../shared/ratelimit/usage-keys.js';
import { type CiIssuer, GITHUB_CLAIMS, startCiIssuer } from '../support/ci-issuer.js';
import { exchange } from '../support/exchange.js';
import { domainTokens, startTestService, type TestService } from '../support/service.js';
import { deployTiers, fakeGateway, localClient, QUEUE_URL, STAGE, workerConfig } from './deployed.js';
import { FakeApiGateway, type FakeKey } from './fake-api-gateway.js';
import { FakeKeyQueue, lambdaContext } from './fake-key-queue.js';
import { SimClock } from './sim-clock.js';

/**
 * The service over HTTP wired as in AWS: changes go to the key worker's queue, the
 * authorizer names keys from the published shared keys and the tokens' own, and API
 * Gateway (faked at the SDK boundary, with its data plane) lets a call through only with
 * a key it honours. Nothing on the request path calls API Gateway's control plane.
 */

const FIN = domainTokens('finance', 'sa-etl');
const POLICIES = '/api/v1/domains/finance/auth/service-accounts/sa-etl/federation-policies';
const WARMUP = 60_000;
const AUDIENCE = 'https://tokens.example.test';
let api: TestService;
let ci: CiIssuer;
const sim = new SimClock(Date.now());
let fake: FakeApiGateway;
let queue: FakeKeyQueue;
let shared: { unthrottled: FakeKey; pooled: Map<number, FakeKey> };
let worker: ReturnType<typeof createKeyWorker>;
let presented: string | undefined;

beforeAll(async () => {
  ci = await startCiIssuer();
  fake = new FakeApiGateway({ now: sim.date });
  queue = new FakeKeyQueue(() => sim.now);
  let published: PublishedUsageKeys | undefined;
  api = await startTestService({
    env: { FEDERATION_ALLOW_LOOPBACK_ISSUERS: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' },
    parts: () => ({
      rateLimits: new QueuedKeyChanges(localClient(SQSClient), QUEUE_URL, sim.date),
      usageKeys: {
        keyFor: (holder: RateHolder, at: Date) => published!.keyFor(holder, at),
        admit: async (key: string | undefined): Promise<Admission> => {
          presented = key;
          return key && fake.honours(key, STAGE, sim.date(), WARMUP)
            ? { allowed: true }
            : { allowed: false, reason: 'invalid-key' };
        },
      },
      clock: sim.date,
    }),
  });
  published = new PublishedUsageKeys(api.documentClient, api.tableName, () => sim.now);
  const tiers = await deployTiers(fake, api.documentClient, api.tableName);
  shared = tiers;
  const config = workerConfig(api.tableName);
  worker = createKeyWorker(
    { ...createObservability(config), config, documents: api.documentClient, clock: sim.date },
    { gateway: fakeGateway(), pacing: { now: () => sim.now, sleep: sim.sleep } },
  );
});
afterAll(async () => {
  fake?.restore();
  queue?.restore();
  await ci?.close();
  await api?.stop();
});

async function drain() {
  while (await queue.deliver(worker, () => lambdaContext(() => sim.now)));
}
async function whoami(token: string) {
  presented = undefined;
  const reply = await api.call('GET', '/api/v1/auth/whoami', { token });
  return { status: reply.status, code: reply.body?.code, key: presented, retryAfter: reply.headers.get('retry-after') };
}
const ownKeyOf = async (name: string) => {
  const item = (await api.scanTable()).find((i) => String(i.sk) === `TOKEN#${name}`)!;
  return fake.keys.get(String(item.apiKeyId))!;
};

describe('the request path wired as in AWS', () => {
  it('creates a limited token with no control-plane call; it works at once on its tier’s pooled key, then on its own', async () => {
    fake.resetCalls();
    const created = await api.call('POST', FIN, { as: 'alice', body: { name: 'ci', maxRps: 25 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ maxRps: 25, enforcedMaxRps: 23 });
    expect(fake.calls).toStrictEqual([]);
    expect(await whoami(created.body.token)).toMatchObject({ status: 200, key: shared.pooled.get(23)!.value });
    await drain();
    sim.now += WARMUP;
    expect(await whoami(created.body.token)).toMatchObject({ status: 200, key: (await ownKeyOf('ci')).value });
  });

  it('names the unthrottled key for a JWT caller and a token without a limit', async () => {
    const created = await api.call('POST', FIN, { as: 'alice', body: { name: 'free' } });
    expect(await whoami(created.body.token)).toMatchObject({ status: 200, key: shared.unthrottled.value });
    presented = undefined;
    expect((await api.call('GET', '/api/v1/auth/whoami', { as: 'alice' })).status).toBe(200);
    expect(presented).toBe(shared.unthrottled.value);
  });

  it('holds a re-limited token to its new tier at once, on that tier’s pooled key, until its key has moved', async () => {
    const created = await api.call('POST', FIN, { as: 'alice', body: { name: 'slower', maxRps: 500 } });
    await drain();
    sim.now += WARMUP;
    expect((await api.call('PATCH', `${FIN}/slower`, { as: 'alice', body: { maxRps: 3 } })).status).toBe(200);
    expect(await whoami(created.body.token)).toMatchObject({ status: 200, key: shared.pooled.get(3)!.value });
    await drain();
    sim.now += WARMUP;
    expect(await whoami(created.body.token)).toMatchObject({ status: 200, key: (await ownKeyOf('slower')).value });
  });

  it('refuses a deleted token at its next request, before the worker has deleted its key', async () => {
    const created = await api.call('POST', FIN, { as: 'alice', body: { name: 'short-lived', maxRps: 2 } });
    await drain();
    const key = await ownKeyOf('short-lived');
    expect((await api.call('DELETE', `${FIN}/short-lived`, { as: 'alice' })).status).toBe(204);
    expect(fake.keys.has(key.id)).toBe(true);
    expect((await whoami(created.body.token)).status).toBe(401);
    await drain();
    expect(fake.keys.has(key.id)).toBe(false);
  });

  it('answers a token whose key API Gateway does not take 503 API_KEY_UNAVAILABLE with Retry-After', async () => {
    const created = await api.call('POST', FIN, { as: 'alice', body: { name: 'hand-deleted', maxRps: 4 } });
    await drain();
    sim.now += WARMUP;
    fake.keys.get((await ownKeyOf('hand-deleted')).id)!.enabled = false;
    expect(await whoami(created.body.token)).toMatchObject({
      status: 503,
      code: 'API_KEY_UNAVAILABLE',
      retryAfter: '5',
    });
  });

  it('gives a limited federation policy’s tokens the tier’s pooled key, then the policy’s one key, shared', async () => {
    const made = await api.call('POST', POLICIES, {
      as: 'alice',
      body: { name: 'deploy', issuer: ci.issuer, audiences: [AUDIENCE], subject: GITHUB_CLAIMS.sub, maxRps: 40 },
    });
    expect(made.status).toBe(201);
    // The subject JWT's expiry is real time, the service's clock the simulated one, ahead by each test's
    // warm-ups: a JWT that outlives them all, so the token it is exchanged for is not already expired.
    const jwt = () => ci.issue(AUDIENCE, { ...GITHUB_CLAIMS, jti: `j-${Math.random()}` }, { ttlSeconds: 1800 });
    const token = async () => (await exchange(api, await jwt(), 'sa-etl')).body.access_token;
    const early = await token();
    expect(await whoami(early)).toMatchObject({ status: 200, key: shared.pooled.get(37)!.value });
    await drain();
    sim.now += WARMUP;
    const [first, second] = [await token(), await token()];
    const a = await whoami(first);
    const b = await whoami(second);
    expect(a).toMatchObject({ status: 200 });
    expect(b.key).toBe(a.key);
    expect(a.key).not.toBe(shared.pooled.get(37)!.value);
    expect(fake.plansOf([...fake.keys.values()].find((k) => k.value === a.key)!.id)).toHaveLength(1);
  });
});
