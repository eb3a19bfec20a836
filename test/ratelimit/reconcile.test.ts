import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { gatewayNames } from '../../shared/ratelimit/gateway-names.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { updateToken } from '../../shared/tokens/update-token.js';
import { API, type Fixture, ratelimitFixture } from './fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await ratelimitFixture();
});
afterEach(() => f.close());

async function keyOf(name: string): Promise<string> {
  const token = await f.stored(name);
  if (!token?.apiKeyId) throw new Error(`token ${name} should have a key`);
  return String(token.apiKeyId);
}

function snapshot() {
  return JSON.stringify({
    keys: [...f.fake.keys.values()],
    plans: [...f.fake.plans.values()].map((plan) => ({ ...plan, keyIds: [...plan.keyIds] })),
  });
}

const kinds = (report: { drift: { kind: string }[] }) => report.drift.map((drift) => drift.kind).sort();

describe('reconcile', () => {
  it('finds nothing to do when API Gateway matches the table', async () => {
    await f.create('a', 5);
    await f.create('b', null);
    await f.create('c', 9);
    await updateToken(f.deps, 'sa-etl', 'c', { status: 'SUSPENDED' });
    const report = await f.reconcile(true);
    expect(report.drift).toStrictEqual([]);
    expect({ tokens: report.tokens, keys: report.keys, plans: report.plans }).toStrictEqual({
      tokens: 3,
      keys: 4,
      plans: 2,
    });
  });

  it('reports drift without changing anything on a dry run', async () => {
    await f.create('a', 5);
    f.fake.keys.get(await keyOf('a'))!.enabled = false;
    f.fake.addKey(`${f.rateLimits.names.prefix}orphan`, { createdDate: new Date(Date.now() - 3_600_000) });
    const before = snapshot();
    const report = await f.reconcile(false);
    expect(report.applied).toBe(false);
    expect(kinds(report)).toStrictEqual(['orphan-key', 'wrong-enabled']);
    expect(report.drift.every((drift) => drift.repaired === undefined)).toBeTruthy();
    expect(snapshot()).toBe(before);
  });

  it('deletes keys whose tokens DynamoDB TTL removed', async () => {
    await f.create('expired', 5);
    const apiKeyId = await keyOf('expired');
    await f.removeBehindTheBack('expired');
    const report = await f.reconcile(true);
    expect(report.drift.map((drift) => [drift.kind, drift.subject, drift.repaired])).toStrictEqual([
      ['orphan-key', `key ${apiKeyId}`, true],
    ]);
    expect(!f.fake.keys.has(apiKeyId)).toBeTruthy();
    expect((await f.reconcile(true)).drift).toStrictEqual([]);
  });

  it('leaves a young unbound key alone: its token may be being created', async () => {
    const young = f.fake.addKey(`${f.rateLimits.names.prefix}in-flight`);
    const report = await f.reconcile(true, { graceSeconds: 900 });
    expect(report.drift).toStrictEqual([]);
    expect(f.fake.keys.has(young.id)).toBeTruthy();
    const later = await f.reconcile(true, { graceSeconds: 900, now: () => new Date(Date.now() + 901_000) });
    expect(kinds(later)).toStrictEqual(['orphan-key']);
  });

  it('never touches keys that are not its own: the unthrottled key, another deployment’s keys', async () => {
    const old = new Date(Date.now() - 86_400_000);
    const shared = f.fake.addKey('UnthrottledKey', { createdDate: old });
    const other = f.fake.addKey(`${gatewayNames({ restApiId: 'zzzzzzzzzz', stage: API.stage }).prefix}x-rps5`, {
      createdDate: old,
    });
    const report = await f.reconcile(true);
    expect(report.drift).toStrictEqual([]);
    expect(f.fake.keys.has(shared.id) && f.fake.keys.has(other.id)).toBeTruthy();
  });

  it('gives a token with a limit a new key when its key is missing', async () => {
    await f.create('a', 5);
    const lost = await keyOf('a');
    f.fake.keys.delete(lost);
    for (const plan of f.fake.plans.values()) plan.keyIds.delete(lost);
    const before = await f.stored('a');
    const report = await f.reconcile(true);
    expect(report.drift.map((drift) => [drift.kind, drift.repaired])).toStrictEqual([['missing-key', true]]);
    const after = await f.stored('a');
    expect(after!.apiKeyId).not.toBe(lost);
    // 'a repair is not a change by the owner'
    expect(after!.updatedAt).toBe(before!.updatedAt);
    const credential = await f.credential(String(after!.lookupId));
    expect(credential!.usageKey).toBe(f.fake.keys.get(String(after!.apiKeyId))!.value);
    await f.assertInStep();
  });

  it('binds a token that has a limit but was never bound', async () => {
    await f.create('a', null);
    const token = await f.stored('a');
    // As if the limit were written without API Gateway (a deployment before keys existed).
    for (const key of [keys.token('sa-etl', 'a'), keys.credential(String(token!.lookupId))]) {
      await f.documents.send(
        new UpdateCommand({
          TableName: f.tableName,
          Key: key,
          UpdateExpression: 'SET maxRps = :n',
          ExpressionAttributeValues: { ':n': 4 },
        }),
      );
    }
    const report = await f.reconcile(true);
    expect(kinds(report)).toStrictEqual(['missing-key']);
    await f.assertInStep();
  });

  it('moves a key that is in the wrong plan', async () => {
    await f.create('a', 5);
    await f.create('b', 9);
    const apiKeyId = await keyOf('a');
    const [five, nine] = [...f.fake.plans.values()];
    five!.keyIds.delete(apiKeyId);
    nine!.keyIds.add(apiKeyId);
    const report = await f.reconcile(true);
    expect(kinds(report)).toStrictEqual(['wrong-plan']);
    expect(f.fake.plansOf(apiKeyId)).toStrictEqual([five!.id]);
    await f.assertInStep();
  });

  it('puts back a key that is in no plan', async () => {
    await f.create('a', 5);
    const apiKeyId = await keyOf('a');
    for (const plan of f.fake.plans.values()) plan.keyIds.delete(apiKeyId);
    expect(kinds(await f.reconcile(true))).toStrictEqual(['wrong-plan']);
    await f.assertInStep();
  });

  it('disables the key of a suspended or expired token and enables that of an active one', async () => {
    await f.create('active', 5);
    await f.create('suspended', 5);
    await updateToken(f.deps, 'sa-etl', 'suspended', { status: 'SUSPENDED' });
    await f.create('expiring', 5);
    f.fake.keys.get(await keyOf('active'))!.enabled = false;
    f.fake.keys.get(await keyOf('suspended'))!.enabled = true;
    const report = await f.reconcile(true, { now: () => new Date(Date.now() + 1000) });
    expect(kinds(report)).toStrictEqual(['wrong-enabled', 'wrong-enabled']);
    expect(f.fake.keys.get(await keyOf('active'))!.enabled).toBe(true);
    expect(f.fake.keys.get(await keyOf('suspended'))!.enabled).toBe(false);

    // Expired tokens stay listed (and keep their key) until deleted; the key is disabled.
    const expiring = await f.stored('expiring');
    for (const key of [keys.token('sa-etl', 'expiring'), keys.credential(String(expiring!.lookupId))]) {
      await f.documents.send(
        new UpdateCommand({
          TableName: f.tableName,
          Key: key,
          UpdateExpression: 'SET expiresAt = :at',
          ExpressionAttributeValues: { ':at': new Date(Date.now() - 1000).toISOString() },
        }),
      );
    }
    expect(kinds(await f.reconcile(true))).toStrictEqual(['wrong-enabled']);
    expect(f.fake.keys.get(await keyOf('expiring'))!.enabled).toBe(false);
    expect((await f.reconcile(true)).drift).toStrictEqual([]);
  });

  it('unbinds and deletes the key of a token that has no limit', async () => {
    await f.create('a', 5);
    const apiKeyId = await keyOf('a');
    const token = await f.stored('a');
    for (const key of [keys.token('sa-etl', 'a'), keys.credential(String(token!.lookupId))]) {
      await f.documents.send(
        new UpdateCommand({
          TableName: f.tableName,
          Key: key,
          UpdateExpression: 'SET maxRps = :none',
          ExpressionAttributeValues: { ':none': null },
        }),
      );
    }
    expect(kinds(await f.reconcile(true))).toStrictEqual(['unneeded-key']);
    expect(!f.fake.keys.has(apiKeyId)).toBeTruthy();
    expect((await f.stored('a'))!.apiKeyId).toBe(undefined);
    expect((await f.credential(String(token!.lookupId)))!.usageKey).toBe(undefined);
    await f.assertInStep();
  });

  it('replaces a recorded plan deleted by hand and puts its keys in the new one', async () => {
    await f.create('a', 5);
    await f.create('b', 5);
    const [plan] = f.fake.plans.values();
    f.fake.plans.delete(plan!.id);
    const report = await f.reconcile(true);
    expect(kinds(report)).toStrictEqual(['missing-plan', 'wrong-plan', 'wrong-plan']);
    expect(report.drift.every((drift) => drift.repaired)).toBeTruthy();
    const [replacement] = f.fake.plans.values();
    expect(replacement!.id).not.toBe(plan!.id);
    // The two token keys and the replacement's own bridge key; the old bridge is deleted.
    expect(replacement!.keyIds.size).toBe(3);
    expect(f.fake.bridgeKeys().map((key) => key.id)).toStrictEqual(
      [...replacement!.keyIds].filter((id) => f.fake.keys.get(id)!.name.includes('-bridge-')),
    );
    await f.assertInStep();
    // New tokens with that limit join the replacement, even through a container that cached the old plan.
    await f.create('c', 5);
    expect(replacement!.keyIds.size).toBe(4);
  });

  it('restores a plan whose throttle or stage was changed by hand', async () => {
    await f.create('a', 5);
    const [plan] = f.fake.plans.values();
    plan!.rateLimit = 500;
    plan!.stages = [];
    expect(kinds(await f.reconcile(true))).toStrictEqual(['wrong-plan-settings']);
    expect(plan!.rateLimit).toBe(5);
    expect(plan!.burstLimit).toBe(5);
    expect(plan!.stages).toStrictEqual([`${API.restApiId}:${API.stage}`]);
    await f.assertInStep();
  });

  it('reports a repair that failed, and a later run completes it', async () => {
    await f.create('a', 5);
    f.fake.keys.get(await keyOf('a'))!.enabled = false;
    f.fake.fail('UpdateApiKey');
    const report = await f.reconcile(true);
    expect(report.drift.map((drift) => [drift.kind, drift.repaired, drift.error])).toStrictEqual([
      ['wrong-enabled', false, 'ServiceUnavailableException'],
    ]);
    expect(kinds(await f.reconcile(true))).toStrictEqual(['wrong-enabled']);
    await f.assertInStep();
  });

  it('never puts a key value in its report', async () => {
    await f.create('a', 5);
    const apiKeyId = await keyOf('a');
    f.fake.keys.get(apiKeyId)!.enabled = false;
    await f.removeBehindTheBack('a');
    f.fake.addKey(`${f.rateLimits.names.prefix}x`, { createdDate: new Date(0) });
    const report = JSON.stringify(await f.reconcile(false));
    for (const key of f.fake.keys.values()) expect(!report.includes(key.value)).toBeTruthy();
  });
});

describe('bridge keys', () => {
  const bridgeOf = (planId: string) => f.fake.bridgeKeys().find((key) => f.fake.plans.get(planId)!.keyIds.has(key.id));

  it('come with each plan, enabled, in that plan alone, and recorded with it', async () => {
    await f.create('a', 5);
    const [plan] = f.fake.plans.values();
    const bridge = bridgeOf(plan!.id)!;
    expect(bridge.enabled).toBe(true);
    expect(f.fake.plansOf(bridge.id)).toStrictEqual([plan!.id]);
    expect((await f.rateLimits.plans.records.planOf(5))?.bridge).toMatchObject({
      keyId: bridge.id,
      usageKey: bridge.value,
    });
    // Tagged like every key of ours: the functions' IAM policies require it.
    expect(f.fake.callsOf('CreateApiKey')[0].tags).toStrictEqual(f.rateLimits.names.tags);
  });

  it('a plan whose bridge could not be made still serves its tokens; reconcile makes the bridge', async () => {
    f.fake.fail('CreateApiKey');
    await f.create('a', 5);
    expect(f.compensationFailures).toHaveLength(1);
    expect(f.fake.bridgeKeys()).toHaveLength(0);
    expect((await f.rateLimits.plans.records.planOf(5))?.bridge).toBe(undefined);
    const report = await f.reconcile(true);
    expect(report.drift.map((drift) => [drift.kind, drift.detail, drift.repaired])).toStrictEqual([
      ['missing-bridge-key', 'the plan has no bridge key', true],
    ]);
    const [plan] = f.fake.plans.values();
    expect((await f.rateLimits.plans.records.planOf(5))?.bridge?.keyId).toBe(bridgeOf(plan!.id)!.id);
    await f.assertInStep();
  });

  it('one deleted, disabled or moved by hand is renewed or put back', async () => {
    await f.create('a', 5);
    await f.create('b', 9);
    const [five, nine] = f.fake.plans.values();
    const gone = bridgeOf(five!.id)!;
    f.fake.keys.delete(gone.id);
    five!.keyIds.delete(gone.id);
    const moved = bridgeOf(nine!.id)!;
    moved.enabled = false;
    const report = await f.reconcile(true);
    expect(report.drift.map((drift) => [drift.kind, drift.subject, drift.repaired])).toStrictEqual([
      ['missing-bridge-key', `plan ${five!.id}`, true],
      ['missing-bridge-key', `plan ${nine!.id}`, true],
    ]);
    expect(bridgeOf(five!.id)!.id).not.toBe(gone.id);
    expect(moved.enabled).toBe(true);
    await f.assertInStep();
  });

  it('do not count as keys of their plan: a plan with only its bridge is empty', async () => {
    await f.create('a', 5);
    await f.tokens.inner.delete((await f.tokens.inner.get('sa-etl', 'a'))!);
    await f.reconcile(true);
    expect((await f.rateLimits.plans.records.all())[0]).toHaveProperty('emptySince');
  });
});
