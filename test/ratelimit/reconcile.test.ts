import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys, rateKeyShard } from '../../shared/dynamodb/keys.js';
import { shardCounts } from '../../shared/dynamodb/rate-limit-capacity.js';
import { RATE_TIERS } from '../../shared/kernel/rate-tiers.js';
import { createObservability } from '../../shared/http/observability.js';
import { Pacer } from '../../shared/ratelimit/pacer.js';
import { reconcileParts, scheduledReconcile } from '../../shared/ratelimit/scheduled-reconcile.js';
import { underLease } from '../../shared/ratelimit/reconcile.js';
import { fakeGateway } from './deployed.js';
import { type KeysFixture, keysFixture } from './fixture.js';

/**
 * Reconcile against API Gateway faked at the SDK boundary and DynamoDB Local: each kind of
 * drift found from the rate keys index (never a scan), queued for the key worker, and
 * repaired by it; one run at a time; missing data a failure, never "in step".
 */

let f: KeysFixture;
beforeAll(async () => {
  f = await keysFixture();
});
afterAll(() => f?.close());

const kinds = async (apply = true) =>
  (await f.reconcile(apply)).drift.map((d) => `${d.kind}${d.queued === false ? ' (not queued)' : ''}`);
async function repairs(): Promise<void> {
  await f.drain();
  await f.assertInStep();
}
const keyIdOf = async (name: string) => String((await f.stored(name))!.apiKeyId);

describe('reconcile', () => {
  it('finds nothing when all is in step, and counts every key of the account, ours or not', async () => {
    await f.create('steady', 5);
    await f.drain();
    f.fake.addKey('another-teams-key');
    const report = await f.reconcile(false);
    expect(report.drift).toStrictEqual([]);
    // The stack's unthrottled key and a pooled key per tier, the other team's, and ours.
    expect(report).toMatchObject({ regionKeys: 1 + RATE_TIERS.length + 1 + 1, ownKeys: 1, owners: 1, limited: 1 });
  });

  it('queues a token whose message was lost, and the worker gives it its key', async () => {
    f.queue.failSends = 1;
    await f.create('lost-message', 30);
    expect(f.compensationFailures.at(-1)).toMatch(/queue the key of token/);
    expect(f.queue.depth).toBe(0);
    expect(await kinds(false)).toStrictEqual(['missing-key']);
    // A dry run queued nothing.
    expect(f.queue.depth).toBe(0);
    expect(await kinds()).toStrictEqual(['missing-key']);
    await repairs();
  });

  it('queues a token without a limit still holding a key, and the worker deletes the key', async () => {
    await f.create('was-limited', 4);
    await f.drain();
    const keyId = await keyIdOf('was-limited');
    f.queue.failSends = 1;
    await f.update('was-limited', { maxRps: null });
    expect(await kinds()).toStrictEqual(['unneeded-key']);
    await repairs();
    expect(f.fake.keys.has(keyId)).toBe(false);
  });

  it('queues a key taken out of its plan by hand, and the worker puts it back', async () => {
    await f.create('unplanned', 14);
    await f.drain();
    const keyId = await keyIdOf('unplanned');
    f.fake.plans.get(f.tierPlans.get(14)!)!.keyIds.delete(keyId);
    expect(await kinds()).toStrictEqual(['wrong-plan']);
    await repairs();
    expect(f.fake.plansOf(keyId)).toStrictEqual([f.tierPlans.get(14)]);
  });

  it('queues the key of a token DynamoDB TTL removed, once older than the grace period; leaves others’ and earlier versions’ keys alone', async () => {
    await f.create('expired', 3);
    await f.drain();
    const keyId = await keyIdOf('expired');
    await f.removeBehindTheBack('expired');
    f.fake.addKey('sat-a1b2c3d4e5-prod-Q8f2abcdefghijkl-rps5-x7Kp2Q');
    f.fake.addKey('sat-a1b2c3d4e5-prod-bridge-rps5-x7Kp2Q');
    f.fake.addKey('sat-otherapi00-prod-Q8f2abcdefghijkl');
    // A key just made may be the worker's, between making it and recording it.
    expect((await f.reconcile(true, { graceSeconds: 900 })).drift).toStrictEqual([]);
    expect(await kinds()).toStrictEqual(['orphan-key']);
    await repairs();
    expect(f.fake.keys.has(keyId)).toBe(false);
  });

  it('sets back a capacity count DynamoDB TTL left too high, and not one a create moved meanwhile', async () => {
    const sum = async () =>
      (await shardCounts({ client: f.documents, tableName: f.tableName })).reduce((a, s) => a + s.count, 0);
    const before = await sum();
    await f.create('ttl-removed', 2);
    await f.drain();
    await f.removeBehindTheBack('ttl-removed');
    expect(await sum()).toBe(before + 1);
    // A create lands between reconcile's read of the count and its write: the write is refused.
    const send = f.documents.send.bind(f.documents) as (command: any) => Promise<unknown>;
    const spy = jest.spyOn(f.documents, 'send').mockImplementation((async (command: any) => {
      if (command instanceof UpdateCommand && command.input.Key?.pk === 'CAPACITY') {
        spy.mockRestore();
        await send(
          new UpdateCommand({
            ...command.input,
            UpdateExpression: 'ADD version :one',
            ConditionExpression: undefined,
            ExpressionAttributeNames: undefined,
            ExpressionAttributeValues: { ':one': 1 },
          }),
        );
      }
      return send(command);
    }) as never);
    expect((await f.reconcile(true)).recounted).toBe(0);
    expect(await sum()).toBe(before + 1);
    expect((await f.reconcile(true)).recounted).toBe(1);
    expect(await sum()).toBe(before);
    // Nothing to set back: the index and the count agree. (Its key, an orphan now, was queued.)
    await f.drain();
    expect((await f.reconcile(true)).recounted).toBe(0);
    await f.assertInStep();
  });

  it('reports an index entry it cannot read as drift it could not queue: missing data is never "in step"', async () => {
    await f.documents.send(
      new PutCommand({
        TableName: f.tableName,
        Item: { pk: 'SA#sa-etl', sk: 'TOKEN#broken', keyShard: rateKeyShard('broken'), maxRps: 5 },
      }),
    );
    expect(await kinds()).toStrictEqual(['unreadable-owner (not queued)']);
    await f.documents.send(
      new UpdateCommand({
        TableName: f.tableName,
        Key: { pk: 'SA#sa-etl', sk: 'TOKEN#broken' },
        UpdateExpression: 'REMOVE keyShard',
      }),
    );
  });

  it('reports a key whose tier has no plan (a partial TIER_PLANS) as drift, and goes on with the other owners', async () => {
    // Tier 1734 (maxRps 2000) is this test's alone; the owners of the other tiers are in step.
    await f.create('planless', 2000);
    await f.drain();
    const plan = f.tierPlans.get(1734)!;
    f.tierPlans.delete(1734);
    try {
      const report = await f.reconcile(false);
      expect(report.drift.map(({ kind, detail }) => ({ kind, detail }))).toStrictEqual([
        { kind: 'wrong-plan', detail: expect.stringMatching(/tier 1734 is in no plan \(TIER_PLANS\)$/) },
      ]);
      expect(report.limited).toBeGreaterThan(1);
    } finally {
      f.tierPlans.set(1734, plan);
    }
    await f.assertInStep();
  });

  it('fails the run when API Gateway cannot be read, rather than finding nothing', async () => {
    f.fake.fail('GetApiKeys', { error: () => Object.assign(new Error('denied'), { name: 'AccessDeniedException' }) });
    await expect(f.reconcile(true)).rejects.toThrow('denied');
    f.fake.clearFaults();
  });
});

describe('the scheduled reconcile', () => {
  const deps = () => {
    const observability = createObservability({ logLevel: 'SILENT', metrics: false });
    return { ...observability, config: f.config, documents: f.documents, clock: f.sim.date };
  };
  const parts = (d: ReturnType<typeof deps>) => ({
    ...reconcileParts(d, fakeGateway()),
    pacer: new Pacer({ callsPerSecond: 1, now: () => f.sim.now, sleep: f.sim.sleep }),
    orphanGraceSeconds: 0,
  });
  const context = {} as never;

  it('runs one at a time: a run while another holds the lease is skipped, a lease left by a dead run expires', async () => {
    const d = deps();
    const handler = scheduledReconcile(d, parts(d));
    const held = underLease(parts(d), () => handler({}, context));
    expect(await held).toStrictEqual({ skipped: true });
    await f.documents.send(
      new PutCommand({
        TableName: f.tableName,
        Item: { ...keys.reconcileLease(), holder: 'dead', until: f.sim.now - 1 },
      }),
    );
    expect(await handler({}, context)).toMatchObject({ drifted: 0, unrepaired: 0 });
  });

  it('logs each drift and its completion, and publishes the account’s key count', async () => {
    const d = deps();
    const info = jest.spyOn(d.logger, 'info');
    const error = jest.spyOn(d.logger, 'error');
    const metric = jest.spyOn(d.metrics, 'addMetric');
    f.queue.failSends = 1;
    await f.create('unqueued', 6);
    f.queue.failSends = 1;
    const summary = await scheduledReconcile(d, parts(d))({}, context);
    expect(summary).toMatchObject({ drifted: 1, unrepaired: 1 });
    expect(error.mock.calls.map(([message]) => message)).toStrictEqual(['Drift not repaired']);
    expect(info.mock.calls.map(([message]) => message)).toContain('Reconciled keys');
    expect(metric.mock.calls.map(([name]) => name)).toStrictEqual([
      'RegionApiKeys',
      'OwnApiKeys',
      'RateLimitedOwners',
      'ReconcileCompleted',
    ]);
    // The next run queues it, and the worker repairs it.
    await scheduledReconcile(d, parts(d))({}, context);
    await repairs();
  });
});
