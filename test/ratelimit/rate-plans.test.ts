import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../shared/store/keys.js';
import { createToken } from '../../shared/tokens/token-service.js';
import type { CommandName } from './fake-api-gateway.js';
import { type Fixture, ratelimitFixture } from './fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await ratelimitFixture();
});
afterEach(() => f.close());

/** Holds every caller of `command` until `parties` of them have arrived, so all create before any records. */
function lineUp(command: CommandName, parties: number): void {
  let arrived = 0;
  let release!: () => void;
  const allThere = new Promise<void>((resolve) => {
    release = resolve;
  });
  f.fake.beforeCommand = async (name) => {
    if (name !== command) return;
    arrived += 1;
    if (arrived === parties) release();
    await allThere;
  };
}

async function recordedPlan(rps: number): Promise<string | undefined> {
  const { Item } = await f.documents.send(new GetCommand({ TableName: f.tableName, Key: keys.ratePlan(rps), ConsistentRead: true }));
  return Item?.planId;
}

describe('usage plans per rate, created on demand', () => {
  it('ends two concurrent creates for a new rate, in two containers, with one plan', async () => {
    const [first, second] = [f.container(), f.container()];
    lineUp('CreateUsagePlan', 2);
    const ids = await Promise.all([first.plans.planFor(7), second.plans.planFor(7)]);
    // 'both containers created a plan'
    expect(f.fake.callsOf('CreateUsagePlan').length).toBe(2);
    // 'both use the same plan'
    expect(ids[0]).toBe(ids[1]);
    // 'the loser deleted its own plan'
    expect([...f.fake.plans.keys()]).toStrictEqual([ids[0]]);
    expect(await recordedPlan(7)).toBe(ids[0]);
    // API Gateway refuses to delete a plan still on a stage: the loser detaches it first.
    expect(f.fake.commands().filter((name) => name === 'UpdateUsagePlan' || name === 'DeleteUsagePlan')).toStrictEqual(['UpdateUsagePlan', 'DeleteUsagePlan']);
  });

  it('ends five concurrent token creates with a new limit with one plan holding all five keys', async () => {
    const containers = Array.from({ length: 5 }, () => f.container());
    lineUp('CreateUsagePlan', 5);
    await Promise.all(
      containers.map((container, i) =>
        createToken(
          { ...f.deps, rateLimits: container },
          { serviceAccountId: 'sa-etl', name: `t${i}`, maxRps: 11, expiresAt: null, createdBy: 'alice' },
        ),
      ),
    );
    expect(f.fake.plans.size).toBe(1);
    const [plan] = f.fake.plans.values();
    expect(plan!.keyIds.size).toBe(5);
    expect(await recordedPlan(11)).toBe(plan!.id);
    await f.assertInStep();
  });

  it('reads the recorded plan in a new container instead of creating another', async () => {
    const id = await f.rateLimits.plans.planFor(3);
    f.fake.resetCalls();
    expect(await f.container().plans.planFor(3)).toBe(id);
    expect(f.fake.commands()).toStrictEqual([]);
  });

  it('asks the table once per container and rate', async () => {
    const id = await f.rateLimits.plans.planFor(4);
    f.fake.resetCalls();
    expect(await f.rateLimits.plans.planFor(4)).toBe(id);
    expect(await f.rateLimits.plans.planFor(4)).toBe(id);
    expect(f.fake.commands()).toStrictEqual([]);
  });

  it('uses the winner when its own plan cannot be deleted, and reconcile removes the leftover', async () => {
    const [first, second] = [f.container(), f.container()];
    lineUp('CreateUsagePlan', 2);
    f.fake.fail('DeleteUsagePlan');
    const ids = await Promise.all([first.plans.planFor(7), second.plans.planFor(7)]);
    expect(ids[0]).toBe(ids[1]);
    expect(f.fake.plans.size).toBe(2);
    expect(f.compensationFailures.length).toBe(1);
    f.fake.beforeCommand = undefined;
    const report = await f.reconcile(true);
    expect(report.drift.map((drift) => [drift.kind, drift.repaired])).toStrictEqual([['orphan-plan', true]]);
    expect([...f.fake.plans.keys()]).toStrictEqual([ids[0]]);
    await f.assertInStep();
  });

  it('creates nothing when API Gateway refuses the plan, and tries again next time', async () => {
    f.fake.fail('CreateUsagePlan');
    await expect(f.rateLimits.plans.planFor(6)).rejects.toThrow();
    expect(await recordedPlan(6)).toBe(undefined);
    const id = await f.rateLimits.plans.planFor(6);
    expect(await recordedPlan(6)).toBe(id);
    expect(f.fake.plans.size).toBe(1);
  });

  it('moves on to a replaced plan when its cached plan was deleted', async () => {
    await f.create('a', 5);
    const [old] = f.fake.plans.values();
    // Deleted by hand; reconcile records a new plan, but this container still caches the old id.
    for (const stage of [...old!.stages]) old!.stages.splice(old!.stages.indexOf(stage), 1);
    f.fake.plans.delete(old!.id);
    await f.container().plans.replace(5, old!.id);
    await f.create('b', 5);
    const b = await f.stored('b');
    expect(f.fake.plansOf(String(b!.apiKeyId))).toStrictEqual([await recordedPlan(5)]);
  });
});
