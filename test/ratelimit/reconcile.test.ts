import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { gatewayNames } from '../../shared/ratelimit/gateway-names.js';
import { keys } from '../../shared/store/keys.js';
import { updateToken } from '../../shared/tokens/token-service.js';
import { API, type Fixture, ratelimitFixture } from './fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await ratelimitFixture();
});
afterEach(() => f.close());

async function keyOf(name: string): Promise<string> {
  const token = await f.stored(name);
  assert.ok(token?.apiKeyId, `token ${name} should have a key`);
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
    assert.deepEqual(report.drift, []);
    assert.deepEqual({ tokens: report.tokens, keys: report.keys, plans: report.plans }, { tokens: 3, keys: 2, plans: 2 });
  });

  it('reports drift without changing anything on a dry run', async () => {
    await f.create('a', 5);
    f.fake.keys.get(await keyOf('a'))!.enabled = false;
    f.fake.addKey(`${f.rateLimits.names.prefix}orphan`, { createdDate: new Date(Date.now() - 3_600_000) });
    const before = snapshot();
    const report = await f.reconcile(false);
    assert.equal(report.applied, false);
    assert.deepEqual(kinds(report), ['orphan-key', 'wrong-enabled']);
    assert.ok(report.drift.every((drift) => drift.repaired === undefined));
    assert.equal(snapshot(), before);
  });

  it('deletes keys whose tokens DynamoDB TTL removed', async () => {
    await f.create('expired', 5);
    const apiKeyId = await keyOf('expired');
    await f.removeBehindTheBack('expired');
    const report = await f.reconcile(true);
    assert.deepEqual(report.drift.map((drift) => [drift.kind, drift.subject, drift.repaired]), [['orphan-key', `key ${apiKeyId}`, true]]);
    assert.ok(!f.fake.keys.has(apiKeyId));
    assert.deepEqual((await f.reconcile(true)).drift, []);
  });

  it('leaves a young unbound key alone: its token may be being created', async () => {
    const young = f.fake.addKey(`${f.rateLimits.names.prefix}in-flight`);
    const report = await f.reconcile(true, { graceSeconds: 900 });
    assert.deepEqual(report.drift, []);
    assert.ok(f.fake.keys.has(young.id));
    const later = await f.reconcile(true, { graceSeconds: 900, now: () => new Date(Date.now() + 901_000) });
    assert.deepEqual(kinds(later), ['orphan-key']);
  });

  it('never touches keys that are not its own: the unthrottled key, another deployment’s keys', async () => {
    const old = new Date(Date.now() - 86_400_000);
    const shared = f.fake.addKey('UnthrottledKey', { createdDate: old });
    const other = f.fake.addKey(`${gatewayNames({ restApiId: 'zzzzzzzzzz', stage: API.stage }).prefix}x-rps5`, { createdDate: old });
    const report = await f.reconcile(true);
    assert.deepEqual(report.drift, []);
    assert.ok(f.fake.keys.has(shared.id) && f.fake.keys.has(other.id));
  });

  it('gives a token with a limit a new key when its key is missing', async () => {
    await f.create('a', 5);
    const lost = await keyOf('a');
    f.fake.keys.delete(lost);
    for (const plan of f.fake.plans.values()) plan.keyIds.delete(lost);
    const before = await f.stored('a');
    const report = await f.reconcile(true);
    assert.deepEqual(report.drift.map((drift) => [drift.kind, drift.repaired]), [['missing-key', true]]);
    const after = await f.stored('a');
    assert.notEqual(after!.apiKeyId, lost);
    assert.equal(after!.updatedAt, before!.updatedAt, 'a repair is not a change by the owner');
    const credential = await f.credential(String(after!.lookupId));
    assert.equal(credential!.usageKey, f.fake.keys.get(String(after!.apiKeyId))!.value);
    await f.assertInStep();
  });

  it('binds a token that has a limit but was never bound', async () => {
    await f.create('a', null);
    const token = await f.stored('a');
    // As if the limit were written without API Gateway (a deployment before keys existed).
    for (const key of [keys.token('sa-etl', 'a'), keys.credential(String(token!.lookupId))]) {
      await f.documents.send(new UpdateCommand({ TableName: f.tableName, Key: key, UpdateExpression: 'SET maxRps = :n', ExpressionAttributeValues: { ':n': 4 } }));
    }
    const report = await f.reconcile(true);
    assert.deepEqual(kinds(report), ['missing-key']);
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
    assert.deepEqual(kinds(report), ['wrong-plan']);
    assert.deepEqual(f.fake.plansOf(apiKeyId), [five!.id]);
    await f.assertInStep();
  });

  it('puts back a key that is in no plan', async () => {
    await f.create('a', 5);
    const apiKeyId = await keyOf('a');
    for (const plan of f.fake.plans.values()) plan.keyIds.delete(apiKeyId);
    assert.deepEqual(kinds(await f.reconcile(true)), ['wrong-plan']);
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
    assert.deepEqual(kinds(report), ['wrong-enabled', 'wrong-enabled']);
    assert.equal(f.fake.keys.get(await keyOf('active'))!.enabled, true);
    assert.equal(f.fake.keys.get(await keyOf('suspended'))!.enabled, false);

    // Expired tokens stay listed (and keep their key) until deleted; the key is disabled.
    const expiring = await f.stored('expiring');
    for (const key of [keys.token('sa-etl', 'expiring'), keys.credential(String(expiring!.lookupId))]) {
      await f.documents.send(
        new UpdateCommand({ TableName: f.tableName, Key: key, UpdateExpression: 'SET expiresAt = :at', ExpressionAttributeValues: { ':at': new Date(Date.now() - 1000).toISOString() } }),
      );
    }
    assert.deepEqual(kinds(await f.reconcile(true)), ['wrong-enabled']);
    assert.equal(f.fake.keys.get(await keyOf('expiring'))!.enabled, false);
    assert.deepEqual((await f.reconcile(true)).drift, []);
  });

  it('unbinds and deletes the key of a token that has no limit', async () => {
    await f.create('a', 5);
    const apiKeyId = await keyOf('a');
    const token = await f.stored('a');
    for (const key of [keys.token('sa-etl', 'a'), keys.credential(String(token!.lookupId))]) {
      await f.documents.send(new UpdateCommand({ TableName: f.tableName, Key: key, UpdateExpression: 'SET maxRps = :none', ExpressionAttributeValues: { ':none': null } }));
    }
    assert.deepEqual(kinds(await f.reconcile(true)), ['unneeded-key']);
    assert.ok(!f.fake.keys.has(apiKeyId));
    assert.equal((await f.stored('a'))!.apiKeyId, undefined);
    assert.equal((await f.credential(String(token!.lookupId)))!.usageKey, undefined);
    await f.assertInStep();
  });

  it('replaces a recorded plan deleted by hand and puts its keys in the new one', async () => {
    await f.create('a', 5);
    await f.create('b', 5);
    const [plan] = f.fake.plans.values();
    f.fake.plans.delete(plan!.id);
    const report = await f.reconcile(true);
    assert.deepEqual(kinds(report), ['missing-plan', 'wrong-plan', 'wrong-plan']);
    assert.ok(report.drift.every((drift) => drift.repaired));
    const [replacement] = f.fake.plans.values();
    assert.notEqual(replacement!.id, plan!.id);
    assert.equal(replacement!.keyIds.size, 2);
    await f.assertInStep();
    // New tokens with that limit join the replacement, even through a container that cached the old plan.
    await f.create('c', 5);
    assert.equal(replacement!.keyIds.size, 3);
  });

  it('restores a plan whose throttle or stage was changed by hand', async () => {
    await f.create('a', 5);
    const [plan] = f.fake.plans.values();
    plan!.rateLimit = 500;
    plan!.stages = [];
    assert.deepEqual(kinds(await f.reconcile(true)), ['wrong-plan-settings']);
    assert.equal(plan!.rateLimit, 5);
    assert.equal(plan!.burstLimit, 5);
    assert.deepEqual(plan!.stages, [`${API.restApiId}:${API.stage}`]);
    await f.assertInStep();
  });

  it('reports a repair that failed, and a later run completes it', async () => {
    await f.create('a', 5);
    f.fake.keys.get(await keyOf('a'))!.enabled = false;
    f.fake.fail('UpdateApiKey');
    const report = await f.reconcile(true);
    assert.deepEqual(report.drift.map((drift) => [drift.kind, drift.repaired, drift.error]), [['wrong-enabled', false, 'ServiceUnavailableException']]);
    assert.deepEqual(kinds(await f.reconcile(true)), ['wrong-enabled']);
    await f.assertInStep();
  });

  it('never puts a key value in its report', async () => {
    await f.create('a', 5);
    const apiKeyId = await keyOf('a');
    f.fake.keys.get(apiKeyId)!.enabled = false;
    await f.removeBehindTheBack('a');
    f.fake.addKey(`${f.rateLimits.names.prefix}x`, { createdDate: new Date(0) });
    const report = JSON.stringify(await f.reconcile(false));
    for (const key of f.fake.keys.values()) assert.ok(!report.includes(key.value));
  });
});
