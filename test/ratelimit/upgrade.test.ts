import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../shared/dynamodb/keys.js';
import { shardCounts } from '../../shared/dynamodb/rate-limit-capacity.js';
import { createPolicy } from '../../shared/federation/policies.js';
import { Pacer } from '../../shared/ratelimit/pacer.js';
import { adopt, removePlans } from '../../scripts/rate-limit-upgrade.js';
import { localClient } from './deployed.js';
import type { FakeKey } from './fake-api-gateway.js';
import { API, type KeysFixture, keysFixture, STAGE } from './fixture.js';

/**
 * The one-time upgrade from usage plans made at run time, against what the earlier
 * version left in API Gateway and the table, with API Gateway's quotas held: tokens keep
 * presenting keys that work throughout, every key ends in its tier's plan, and the earlier
 * plans, bridge keys and records go, one UpdateUsagePlan every 20 seconds.
 */

let f: KeysFixture;
const prefix = `sat-${API.restApiId}-${API.stage}-`;
const origin = {
  actor: { userId: 'alice', authenticatedBy: 'JWT' as const },
  requestId: null,
  sourceIp: null,
  userAgent: null,
};
let legacyKey: FakeKey;
let policyKey: FakeKey;
let suspendedKey: FakeKey;

/** A plan and its record as the earlier version made them, with its bridge key. */
async function earlierPlan(rps: number, suffix: string) {
  const plan = f.fake.addPlan(`${prefix}rps${rps}-${suffix}`, STAGE, []);
  plan.rateLimit = rps;
  plan.burstLimit = rps;
  const bridge = f.fake.addKey(`${prefix}bridge-rps${rps}-${suffix}`);
  plan.keyIds.add(bridge.id);
  bridge.joinedAt = new Date(0);
  await f.documents.send(
    new PutCommand({
      TableName: f.tableName,
      Item: {
        ...keys.ratePlan(rps),
        rps,
        state: 'READY',
        planId: plan.id,
        bridge: { keyId: bridge.id, usageKey: bridge.value, readyAt: '2026-01-01T00:00:00.000Z' },
      },
    }),
  );
  return plan;
}

/** Gives an item the key binding the earlier version wrote. */
async function earlierBinding(key: { pk: string; sk: string }, maxRps: number, apiKey: FakeKey) {
  await f.documents.send(
    new UpdateCommand({
      TableName: f.tableName,
      Key: key,
      UpdateExpression:
        'SET maxRps = :rps, apiKeyId = :id, usageKey = :value, keyReadyAt = :ready, fallbackUsageKey = :fallback',
      ExpressionAttributeValues: {
        ':rps': maxRps,
        ':id': apiKey.id,
        ':value': apiKey.value,
        ':ready': '2026-01-01T00:00:00.000Z',
        ':fallback': 'x'.repeat(40),
      },
    }),
  );
}

beforeAll(async () => {
  f = await keysFixture({ quotas: true });
  const plan5 = await earlierPlan(5, 'aaaaaa');
  const plan7 = await earlierPlan(7, 'bbbbbb');
  // A plan whose creation answer was lost: no record.
  f.fake.addPlan(`${prefix}rps9-cccccc`, STAGE, []);
  // A token of the earlier version, with its key in the plan of its rate.
  await f.create('legacy', null);
  const token = (await f.stored('legacy'))!;
  legacyKey = f.fake.addKey(`${prefix}${token.lookupId}-rps5-dddddd`);
  plan5.keyIds.add(legacyKey.id);
  legacyKey.joinedAt = new Date(0);
  for (const key of [keys.token('sa-etl', 'legacy'), keys.credential(String(token.lookupId))])
    await earlierBinding(key, 5, legacyKey);
  // A suspended token of the earlier version: it disabled the token's key.
  await f.create('legacy-suspended', null);
  await f.update('legacy-suspended', { status: 'SUSPENDED' });
  const suspended = (await f.stored('legacy-suspended'))!;
  suspendedKey = f.fake.addKey(`${prefix}${suspended.lookupId}-rps5-ffffff`, { enabled: false });
  plan5.keyIds.add(suspendedKey.id);
  suspendedKey.joinedAt = new Date(0);
  for (const key of [keys.token('sa-etl', 'legacy-suspended'), keys.credential(String(suspended.lookupId))])
    await earlierBinding(key, 5, suspendedKey);
  // A policy of the earlier version, with its key.
  const { incarnation } = (await f.importDeps.directory.getPrincipal('sa-etl'))!;
  const policy = await createPolicy(f.policies, {
    incarnation,
    serviceAccountId: 'sa-etl',
    name: 'legacy-policy',
    issuer: 'https://token.actions.githubusercontent.com',
    subject: 'repo:org/app:ref:refs/heads/main',
    createdBy: 'alice',
    origin,
  });
  policyKey = f.fake.addKey(`${prefix}${policy.policyId}-rps7-eeeeee`);
  plan7.keyIds.add(policyKey.id);
  policyKey.joinedAt = new Date(0);
  await earlierBinding(keys.policy('sa-etl', policy.policyId), 7, policyKey);
  // A create of the earlier version that never finished, an hour ago.
  await f.documents.send(
    new PutCommand({
      TableName: f.tableName,
      Item: {
        ...keys.token('sa-etl', 'half-made'),
        lookupId: 'halfmade00000000',
        maxRps: 3,
        pendingSince: new Date(f.sim.now - 3_600_000).toISOString(),
      },
    }),
  );
  await f.documents.send(
    new PutCommand({ TableName: f.tableName, Item: { ...keys.credential('halfmade00000000'), pendingSince: 'x' } }),
  );
  f.fake.resetCalls();
});
afterAll(() => f?.close());

describe('the upgrade from usage plans made at run time', () => {
  it('adopts every token and policy with a key, keeping its earlier key in use, and counts them', async () => {
    // Deployed but not upgraded yet: the token's earlier key is not known to be in step; its tier's pooled key is.
    expect(await f.presented('legacy')).toBe(f.pooled.get(4)!.value);
    const report = await adopt({
      documents: f.documents,
      tableName: f.tableName,
      queue: f.deps.rateLimits as never,
      clock: f.sim.date,
    });
    // The suspended token's disabled key is not stamped: it is never presented again.
    expect(report).toStrictEqual({ indexed: 3, stamped: 2, queued: 3, pendingRemoved: 1 });
    expect(await f.stored('half-made')).toBeUndefined();
    expect(await f.presented('legacy')).toBe(legacyKey.value);
    expect(f.fake.honours(legacyKey.value, STAGE, f.sim.date(), 60_000)).toBe(true);
    const counted = (await shardCounts({ client: f.documents, tableName: f.tableName })).reduce(
      (sum, s) => sum + s.count,
      0,
    );
    expect(counted).toBe(3);
    // Nothing in API Gateway changed yet: the worker does that.
    expect(f.fake.calls).toStrictEqual([]);
  });

  it('moves each earlier key into its tier’s plan through the worker, the token on its pooled key meanwhile', async () => {
    await f.drain();
    expect(f.fake.plansOf(legacyKey.id)).toStrictEqual([f.tierPlans.get(4)]);
    expect(f.fake.plansOf(policyKey.id)).toStrictEqual([f.tierPlans.get(6)]);
    expect(await f.presented('legacy')).toBe(f.pooled.get(4)!.value);
    f.sim.now += 60_000;
    expect(await f.presented('legacy')).toBe(legacyKey.value);
    expect(f.fake.overQuota).toBe(0);
  });

  it('never lets a token reactivated after the upgrade present the key the earlier version disabled', async () => {
    // The disabled key could not join its tier's plan while in the earlier one: the worker replaced it.
    expect(f.fake.keys.has(suspendedKey.id)).toBe(false);
    await f.update('legacy-suspended', { status: 'ACTIVE' });
    const presented = await f.presented('legacy-suspended');
    expect(presented).not.toBe(suspendedKey.value);
    expect(f.fake.honours(presented, STAGE, f.sim.date(), 60_000)).toBe(true);
  });

  it('removes the earlier plans, bridge keys and records, one UpdateUsagePlan every 20 seconds', async () => {
    const updates: number[] = [];
    f.fake.beforeCommand = async (command) => {
      if (command === 'UpdateUsagePlan') updates.push(f.sim.now);
    };
    const report = await removePlans({
      documents: f.documents,
      tableName: f.tableName,
      queue: f.deps.rateLimits as never,
      clock: f.sim.date,
      client: localClient(APIGatewayClient),
      pacer: new Pacer({ callsPerSecond: 1, now: () => f.sim.now, sleep: f.sim.sleep }),
      stage: API,
      sleep: f.sim.sleep,
    });
    f.fake.beforeCommand = undefined;
    expect(report).toMatchObject({ kept: [], keysDeleted: 2 });
    expect(report.removed).toHaveLength(3);
    expect(updates.slice(1).every((at, i) => at - updates[i]! >= 20_000)).toBe(true);
    expect(f.fake.overQuota).toBe(0);
    expect([...f.fake.plans.values()].filter((plan) => plan.name.startsWith(prefix))).toStrictEqual([]);
    expect(f.fake.keys.has(legacyKey.id) && f.fake.keys.has(policyKey.id)).toBe(true);
    expect([...f.fake.keys.values()].filter((key) => key.name.includes('bridge'))).toStrictEqual([]);
    await f.assertInStep();
  });
});
