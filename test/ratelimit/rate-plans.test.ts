import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../../shared/kernel/errors.js';
import { ApiGateway } from '../../shared/ratelimit/api-gateway.mjs';
import { RatePlanRegistry } from '../../shared/ratelimit/rate-plans.js';
import { reconcileParts } from '../../shared/ratelimit/reconcile-plans.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { DynamoRatePlanRecords } from '../../shared/ratelimit/rate-plan-records.js';
import { createToken } from '../../shared/tokens/create-token.js';
import { deleteToken } from '../../shared/tokens/delete-token.js';
import { API, type Fixture, ratelimitFixture } from './fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await ratelimitFixture();
});
afterEach(() => f.close());

async function record(rps: number): Promise<Record<string, unknown> | undefined> {
  return (
    await f.documents.send(new GetCommand({ TableName: f.tableName, Key: keys.ratePlan(rps), ConsistentRead: true }))
  ).Item;
}

/** Holds the first CreateUsagePlan until `release` is called: a creation in progress. */
function holdCreation(): { started: Promise<void>; release: () => void } {
  let started!: () => void;
  let release!: () => void;
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  f.fake.beforeCommand = async (name) => {
    if (name !== 'CreateUsagePlan' || held) return;
    held = true;
    started();
    await released;
  };
  return { started: startedPromise, release };
}

const registry = (options: { claimTimeoutMs?: number; waitMs?: number } = {}) =>
  new RatePlanRegistry({
    gateway: new ApiGateway(
      new APIGatewayClient({ region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    ),
    records: new DynamoRatePlanRecords(f.documents, f.tableName),
    stage: API,
    names: f.rateLimits.names,
    ...options,
  });

describe('usage plans per rate, created on demand under a claim', () => {
  it('makes one plan for two concurrent requests in two containers: the second waits for the first’s record', async () => {
    const [first, second] = [f.container(), f.container()];
    const creation = holdCreation();
    const firstId = first.plans.planFor(7);
    await creation.started;
    const secondId = second.plans.planFor(7);
    setTimeout(creation.release, 200);
    const ids = (await Promise.all([firstId, secondId])).map((plan) => plan.planId);
    expect(ids[0]).toBe(ids[1]);
    expect(f.fake.callsOf('CreateUsagePlan')).toHaveLength(1);
    expect([...f.fake.plans.keys()]).toStrictEqual([ids[0]]);
    expect(await record(7)).toMatchObject({ state: 'READY', planId: ids[0] });
    // No losing race: nothing is detached or deleted, and UpdateUsagePlan (one call every 20 s) is never needed.
    expect(f.fake.commands().filter((name) => name === 'UpdateUsagePlan' || name === 'DeleteUsagePlan')).toStrictEqual(
      [],
    );
  });

  it('ends five concurrent token creates with a new limit with one plan holding all five keys', async () => {
    const containers = Array.from({ length: 5 }, () => f.container());
    const { incarnation } = (await f.importDeps.directory.getPrincipal('sa-etl'))!;
    await Promise.all(
      containers.map((container, i) =>
        createToken(
          { ...f.deps, rateLimits: container },
          { serviceAccountId: 'sa-etl', name: `t${i}`, maxRps: 11, expiresAt: null, createdBy: 'alice', incarnation },
        ),
      ),
    );
    expect(f.fake.callsOf('CreateUsagePlan')).toHaveLength(1);
    const [plan] = f.fake.plans.values();
    // Five token keys and the plan's bridge key.
    expect(plan!.keyIds.size).toBe(6);
    expect(f.fake.bridgeKeys()).toHaveLength(1);
    expect((await record(11))?.planId).toBe(plan!.id);
    await f.assertInStep();
  });

  it('answers a retryable 503 when another request holds the claim longer than it waits', async () => {
    const records = new DynamoRatePlanRecords(f.documents, f.tableName);
    expect(await records.claim(9, 'someone-else', new Date(), new Date(0))).toBe(true);
    await expect(registry({ waitMs: 300 }).planFor(9)).rejects.toThrow(ServiceUnavailableError);
    expect(f.fake.callsOf('CreateUsagePlan')).toHaveLength(0);
  });

  it('takes over a claim whose holder died, once it is older than the timeout', async () => {
    const records = new DynamoRatePlanRecords(f.documents, f.tableName);
    expect(await records.claim(9, 'dead', new Date(Date.now() - 60_000), new Date(0))).toBe(true);
    const id = (await registry({ claimTimeoutMs: 30_000 }).planFor(9)).planId;
    expect(await record(9)).toMatchObject({ state: 'READY', planId: id });
    expect(await record(9)).not.toHaveProperty('owner');
  });

  it('reads the recorded plan in a new container instead of creating another', async () => {
    const id = await f.rateLimits.plans.planFor(3);
    f.fake.resetCalls();
    expect(await f.container().plans.planFor(3)).toStrictEqual(id);
    expect(f.fake.commands()).toStrictEqual([]);
  });

  it('asks the table once per container and rate', async () => {
    const id = await f.rateLimits.plans.planFor(4);
    f.fake.resetCalls();
    expect(await f.rateLimits.plans.planFor(4)).toBe(id);
    expect(await f.rateLimits.plans.planFor(4)).toBe(id);
    expect(f.fake.commands()).toStrictEqual([]);
  });

  it('creates nothing when API Gateway refuses the plan, releases its claim, and tries again next time', async () => {
    f.fake.fail('CreateUsagePlan');
    await expect(f.rateLimits.plans.planFor(6)).rejects.toThrow();
    expect(await record(6)).toBe(undefined);
    const id = (await f.rateLimits.plans.planFor(6)).planId;
    expect((await record(6))?.planId).toBe(id);
    expect(f.fake.plans.size).toBe(1);
  });

  it('leaves a plan whose creation answer was lost unrecorded, and reconcile deletes it', async () => {
    f.fake.fail('CreateUsagePlan', { when: 'after' });
    await expect(f.rateLimits.plans.planFor(6)).rejects.toThrow();
    expect(f.fake.plans.size).toBe(1);
    expect(await record(6)).toBe(undefined);
    const report = await f.reconcile(true);
    expect(report.drift.map((drift) => [drift.kind, drift.repaired])).toStrictEqual([['orphan-plan', true]]);
    expect(f.fake.plans.size).toBe(0);
    await f.rateLimits.plans.planFor(6);
    await f.assertInStep();
  });

  it('moves on to a replaced plan when its cached plan was deleted', async () => {
    await f.create('a', 5);
    const [old] = f.fake.plans.values();
    // Deleted by hand; reconcile records a new plan, but this container still caches the old id.
    for (const stage of [...old!.stages]) old!.stages.splice(old!.stages.indexOf(stage), 1);
    f.fake.plans.delete(old!.id);
    await reconcileParts(f.container()).repairs.replace(5, old!.id);
    await f.create('b', 5);
    const b = await f.stored('b');
    expect(f.fake.plansOf(String(b!.apiKeyId))).toStrictEqual([(await record(5))?.planId]);
  });
});

describe('plans without keys', () => {
  it('are noted by reconcile, deleted after the grace period, and made anew when a rate is needed again', async () => {
    await f.create('passing', 13);
    const [plan] = f.fake.plans.values();
    await deleteToken(f.deps, 'sa-etl', 'passing');
    const day = 86_400_000;
    const at = (ms: number) => () => new Date(Date.now() + ms);

    // First sighting: noted, not deleted.
    expect((await f.reconcile(true, { now: at(0) })).drift).toStrictEqual([]);
    expect(await record(13)).toHaveProperty('emptySince');
    expect(f.fake.plans.has(plan!.id)).toBe(true);
    // Within the grace period: still kept.
    expect((await f.reconcile(true, { now: at(day / 2) })).drift).toStrictEqual([]);
    // After it: the record goes first, then the plan.
    const report = await f.reconcile(true, { now: at(day + 60_000) });
    expect(report.drift.map((drift) => [drift.kind, drift.repaired])).toStrictEqual([['empty-plan', true]]);
    expect(f.fake.plans.size).toBe(0);
    // Its bridge key goes with it.
    expect(f.fake.keys.size).toBe(0);
    expect(await record(13)).toBe(undefined);

    // This container cached the old plan: binding finds it gone and asks for the rate again.
    await f.create('back', 13);
    expect(f.fake.plans.size).toBe(1);
    await f.assertInStep();
  });

  it('keeps a plan that gets a key again within the grace period, and forgets that it was empty', async () => {
    await f.create('first', 14);
    await deleteToken(f.deps, 'sa-etl', 'first');
    await f.reconcile(true);
    expect(await record(14)).toHaveProperty('emptySince');
    await f.create('second', 14);
    await f.reconcile(true, { now: () => new Date(Date.now() + 2 * 86_400_000) });
    expect(f.fake.plans.size).toBe(1);
    expect(await record(14)).not.toHaveProperty('emptySince');
  });
});
