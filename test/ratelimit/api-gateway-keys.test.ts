import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ConflictException } from '@aws-sdk/client-api-gateway';
import { ConcurrentUpdateError, TokenNameTakenError, TokenNotFoundError } from '../../shared/kernel/errors.js';
import { parseToken } from '../../shared/kernel/token-format.js';
import { deleteToken } from '../../shared/tokens/delete-token.js';
import { updateToken } from '../../shared/tokens/update-token.js';
import { importDirectory } from '../../shared/directory/import.js';
import { exampleDirectory } from '../support/service.js';
import type { CommandName } from './fake-api-gateway.js';
import { API, type Fixture, ratelimitFixture } from './fixture.js';
import { reconcileParts } from '../../shared/ratelimit/reconcile-plans.js';

let f: Fixture;
beforeEach(async () => {
  f = await ratelimitFixture();
});
afterEach(() => f.close());

const STAGE = `${API.restApiId}:${API.stage}`;

/** The key a token is bound to, as the table says on both of its items. */
async function bindingOf(name: string) {
  const token = await f.stored(name);
  // `token ${name} should exist`
  if (!token) throw new Error('token is missing');
  const credential = await f.credential(String(token.lookupId));
  if (!credential) throw new Error('credential is missing');
  // 'both items name the same key'
  expect(credential.apiKeyId).toBe(token.apiKeyId);
  expect(credential.usageKey).toBe(token.usageKey);
  return {
    lookupId: String(token.lookupId),
    apiKeyId: token.apiKeyId as string | undefined,
    usageKey: token.usageKey as string | undefined,
  };
}

function planOfRate(rps: number) {
  return [...f.fake.plans.values()].filter((plan) => f.rateLimits.names.rateOfPlan(plan.name) === rps);
}

describe('API Gateway keys follow the token lifecycle', () => {
  it('binds a token with maxRps to its own key in the plan for that rate before returning it', async () => {
    const created = await f.create('ci', 5);
    const { lookupId, apiKeyId, usageKey } = await bindingOf('ci');
    expect(apiKeyId && usageKey).toBeTruthy();

    // A new plan comes with its bridge key (see 'new keys warm up'), then the token's key joins it.
    expect(f.fake.commands()).toStrictEqual([
      'CreateUsagePlan',
      'CreateApiKey',
      'CreateUsagePlanKey',
      'CreateApiKey',
      'CreateUsagePlanKey',
    ]);
    const [plan] = f.fake.callsOf('CreateUsagePlan');
    expect(plan.throttle).toStrictEqual({ rateLimit: 5, burstLimit: 5 });
    expect(plan.apiStages).toStrictEqual([{ apiId: API.restApiId, stage: API.stage }]);
    const [, key] = f.fake.callsOf('CreateApiKey');
    // 'the key is named after the lookup id'
    expect(key.name).toMatch(new RegExp(`^${f.rateLimits.names.prefix}${lookupId}-rps5-[0-9A-Za-z]{6}$`));
    expect(key.enabled).toBe(true);
    expect(key.value).toMatch(/^[A-Za-z0-9]{20,128}$/);
    const secret = parseToken(created.token)!.secret;
    // 'the key value is not the token or its secret'
    expect(!created.token.includes(key.value) && !key.value.includes(secret)).toBeTruthy();
    // 'the authorizer reads the key value from the credential'
    expect(usageKey).toBe(key.value);

    const [, membership] = f.fake.callsOf('CreateUsagePlanKey');
    expect(f.fake.plansOf(apiKeyId!)).toStrictEqual([membership.usagePlanId]);
    expect(f.fake.plans.get(membership.usagePlanId)!.stages[0]).toBe(STAGE);
    await f.assertInStep();
  });

  it('gives a token without a limit no key of its own and does not call API Gateway', async () => {
    await f.create('unlimited', null);
    expect(f.fake.commands()).toStrictEqual([]);
    const { apiKeyId } = await bindingOf('unlimited');
    expect(apiKeyId).toBe(undefined);
    await f.assertInStep();
  });

  it('shares one plan among the tokens with the same limit and makes one per distinct limit', async () => {
    await f.create('a', 5);
    await f.create('b', 5);
    await f.create('c', 9);
    expect(f.fake.callsOf('CreateUsagePlan').length).toBe(2);
    expect(planOfRate(5).length).toBe(1);
    expect(planOfRate(9).length).toBe(1);
    // Two token keys and the bridge.
    expect(planOfRate(5)[0]!.keyIds.size).toBe(3);
    await f.assertInStep();
  });

  it('puts a changed maxRps on a new key in the new plan, then deletes the old key', async () => {
    await f.create('ci', 5);
    const before = await bindingOf('ci');
    f.fake.resetCalls();
    const view = await updateToken(f.deps, 'sa-etl', 'ci', { maxRps: 20 });
    expect(view.maxRps).toBe(20);
    const after = await bindingOf('ci');
    expect(after.apiKeyId).not.toBe(before.apiKeyId);
    expect(after.usageKey).not.toBe(before.usageKey);
    expect(f.fake.commands()).toStrictEqual([
      'CreateUsagePlan',
      'CreateApiKey',
      'CreateUsagePlanKey',
      'CreateApiKey',
      'CreateUsagePlanKey',
      'DeleteApiKey',
    ]);
    expect(f.fake.callsOf('DeleteApiKey')[0].apiKey).toBe(before.apiKeyId);
    expect(!f.fake.keys.has(before.apiKeyId!)).toBeTruthy();
    expect(f.fake.plansOf(after.apiKeyId!)).toStrictEqual([planOfRate(20)[0]!.id]);
    await f.assertInStep();
  });

  it('deletes the key when the limit is lifted and makes one when a limit is set again', async () => {
    await f.create('ci', 5);
    const limited = await bindingOf('ci');
    await updateToken(f.deps, 'sa-etl', 'ci', { maxRps: null });
    expect((await bindingOf('ci')).apiKeyId).toBe(undefined);
    expect(!f.fake.keys.has(limited.apiKeyId!)).toBeTruthy();
    await f.assertInStep();

    await updateToken(f.deps, 'sa-etl', 'ci', { maxRps: 3 });
    const again = await bindingOf('ci');
    expect(again.apiKeyId && f.fake.keys.has(again.apiKeyId)).toBeTruthy();
    expect(f.fake.plansOf(again.apiKeyId!)).toStrictEqual([planOfRate(3)[0]!.id]);
    await f.assertInStep();
  });

  it('disables the key on suspension and enables it on reactivation', async () => {
    await f.create('ci', 5);
    const { apiKeyId } = await bindingOf('ci');
    f.fake.resetCalls();
    await updateToken(f.deps, 'sa-etl', 'ci', { status: 'SUSPENDED' });
    expect(f.fake.calls).toStrictEqual([
      {
        command: 'UpdateApiKey',
        input: { apiKey: apiKeyId, patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] },
      },
    ]);
    expect(f.fake.keys.get(apiKeyId!)!.enabled).toBe(false);
    await f.assertInStep();

    await updateToken(f.deps, 'sa-etl', 'ci', { status: 'ACTIVE' });
    expect(f.fake.keys.get(apiKeyId!)!.enabled).toBe(true);
    await f.assertInStep();
  });

  it('creates the new key disabled when a suspended token gets a new limit', async () => {
    await f.create('ci', 5);
    await updateToken(f.deps, 'sa-etl', 'ci', { status: 'SUSPENDED', maxRps: 8 });
    const { apiKeyId } = await bindingOf('ci');
    expect(f.fake.keys.get(apiKeyId!)!.enabled).toBe(false);
    await f.assertInStep();
  });

  it('suspends a token without a limit in the table alone: the shared key cannot be disabled for one token', async () => {
    await f.create('unlimited', null);
    await updateToken(f.deps, 'sa-etl', 'unlimited', { status: 'SUSPENDED' });
    expect(f.fake.commands()).toStrictEqual([]);
    expect((await f.stored('unlimited'))!.status).toBe('SUSPENDED');
  });

  it('leaves the key alone when a PATCH repeats the current limit', async () => {
    await f.create('ci', 5);
    f.fake.resetCalls();
    await updateToken(f.deps, 'sa-etl', 'ci', { maxRps: 5 });
    expect(f.fake.commands()).toStrictEqual([]);
  });

  it('deletes the key with its token', async () => {
    await f.create('ci', 5);
    const { apiKeyId } = await bindingOf('ci');
    await deleteToken(f.deps, 'sa-etl', 'ci');
    expect(await f.stored('ci')).toBe(undefined);
    expect(!f.fake.keys.has(apiKeyId!)).toBeTruthy();
    await f.assertInStep();
  });

  it('deletes a token whose key is already gone', async () => {
    await f.create('ci', 5);
    const { apiKeyId } = await bindingOf('ci');
    f.fake.keys.delete(apiKeyId!);
    await deleteToken(f.deps, 'sa-etl', 'ci');
    expect(await f.stored('ci')).toBe(undefined);
    expect(f.compensationFailures).toStrictEqual([]);
  });
});

describe('a failure half-way is compensated', () => {
  // A new plan makes its bridge key first: `skip: 1` lets that call through, so the token's own fails.
  const createFailures: {
    at: CommandName | 'store';
    when?: 'before' | 'after';
    skip?: number;
    leavesPlan: boolean;
    orphanPlan?: boolean;
    orphanKey?: boolean;
  }[] = [
    { at: 'CreateUsagePlan', leavesPlan: false },
    // The plan was made but the answer was lost: left unrecorded, for reconcile to delete.
    { at: 'CreateUsagePlan', when: 'after', leavesPlan: true, orphanPlan: true },
    { at: 'CreateApiKey', skip: 1, leavesPlan: true },
    // The key was made but the answer was lost: nothing on the request path lists keys, so
    // it is left, bound to nothing, for reconcile to delete.
    { at: 'CreateApiKey', when: 'after', skip: 1, leavesPlan: true, orphanKey: true },
    { at: 'CreateUsagePlanKey', skip: 1, leavesPlan: true },
    { at: 'CreateUsagePlanKey', when: 'after', skip: 1, leavesPlan: true },
    // The name and the limit are claimed first: a refused store makes no plan at all.
    { at: 'store', leavesPlan: false },
  ];
  for (const { at, when, skip, leavesPlan, orphanPlan, orphanKey } of createFailures) {
    it(`create failing at ${at}${when === 'after' ? ' (answer lost)' : ''} leaves no key and no token`, async () => {
      if (at === 'store') f.tokens.failNext('create');
      else f.fake.fail(at, { when: when ?? 'before', skip: skip ?? 0 });
      await expect(f.create('ci', 5)).rejects.toThrow();
      expect(await f.stored('ci')).toBe(undefined);
      if (orphanKey) {
        const [lost] = f.fake.tokenKeys();
        expect(
          (await f.reconcile(true)).drift.map((drift) => [drift.kind, drift.subject, drift.repaired]),
        ).toStrictEqual([['orphan-key', `key ${lost?.id}`, true]]);
      }
      // 'no key is left'
      expect(f.fake.tokenKeys().length).toBe(0);
      // A plan, once recorded, is shared and kept; one that was never recorded is reconcile's to delete.
      expect(f.fake.plans.size).toBe(leavesPlan ? 1 : 0);
      expect(f.compensationFailures).toStrictEqual([]);
      if (orphanPlan) {
        // Its answer lost, the plan got no bridge key either.
        expect((await f.reconcile(true)).drift.map((drift) => [drift.kind, drift.repaired])).toStrictEqual([
          ['orphan-plan', true],
        ]);
        expect(f.fake.plans.size).toBe(0);
        expect(f.fake.keys.size).toBe(0);
      }
      await f.assertInStep();
      // The request can be retried as is.
      await f.create('ci', 5);
      expect(f.fake.tokenKeys().length).toBe(1);
      await f.assertInStep();
    });
  }

  it('create refused by the table (name taken) deletes the key it made', async () => {
    await f.create('ci', 5);
    await expect(f.create('ci', 5)).rejects.toThrow(TokenNameTakenError);
    expect(f.fake.tokenKeys().length).toBe(1);
    await f.assertInStep();
  });

  const limitFailures: { at: CommandName | 'store'; when?: 'before' | 'after'; skip?: number }[] = [
    { at: 'CreateUsagePlan' },
    { at: 'CreateUsagePlan', when: 'after' },
    { at: 'CreateApiKey', skip: 1 },
    { at: 'CreateApiKey', when: 'after', skip: 1 },
    { at: 'CreateUsagePlanKey', skip: 1 },
    { at: 'store' },
  ];
  for (const { at, when, skip } of limitFailures) {
    it(`a maxRps change failing at ${at}${when === 'after' ? ' (answer lost)' : ''} keeps the token on its old key and plan`, async () => {
      await f.create('ci', 5);
      const before = await bindingOf('ci');
      if (at === 'store') f.tokens.failNext('update');
      else f.fake.fail(at, { when: when ?? 'before', skip: skip ?? 0 });
      await expect(updateToken(f.deps, 'sa-etl', 'ci', { maxRps: 20 })).rejects.toThrow();
      expect((await f.stored('ci'))!.maxRps).toBe(5);
      expect(await bindingOf('ci')).toStrictEqual(before);
      if (at === 'CreateApiKey' && when === 'after') {
        // The new key whose answer was lost is bound to nothing: reconcile deletes it.
        const lost = f.fake.tokenKeys().find((key) => key.id !== before.apiKeyId);
        expect((await f.reconcile(true)).drift.map((drift) => [drift.kind, drift.subject])).toStrictEqual([
          ['orphan-key', `key ${lost?.id}`],
        ]);
      }
      expect(f.fake.tokenKeys().map((key) => key.id)).toStrictEqual([before.apiKeyId]);
      expect(f.fake.keys.get(before.apiKeyId!)!.enabled).toBe(true);
      expect(f.fake.plansOf(before.apiKeyId!)).toStrictEqual([planOfRate(5)[0]!.id]);
      // A plan made for the new rate whose answer was lost is unrecorded: reconcile deletes it.
      if (at === 'CreateUsagePlan' && when === 'after') {
        expect((await f.reconcile(true)).drift.map((drift) => [drift.kind, drift.repaired])).toStrictEqual([
          ['orphan-plan', true],
        ]);
      }
      await f.assertInStep();
    });
  }

  it('an import that removes the token’s service account deletes the token and its key', async () => {
    await f.create('ci', 5);
    const { apiKeyId } = await bindingOf('ci');
    const directory = exampleDirectory();
    const result = await importDirectory(
      f.importDeps,
      { ...directory, users: directory.users.filter((user) => user.id !== 'sa-etl') },
      { replace: true },
    );
    expect(result).toMatchObject({ tokensDeleted: 1, accountsRetired: ['sa-etl'] });
    expect(await f.stored('ci')).toBe(undefined);
    expect(f.fake.keys.has(apiKeyId!)).toBe(false);
    await f.assertInStep();
  });

  it('makes no key and no usage plan for a refused create: a name taken, the limit reached, a token not found', async () => {
    await f.create('ci', 5);
    f.fake.resetCalls();
    for (let rps = 100; rps < 120; rps++) await expect(f.create('ci', rps)).rejects.toThrow(TokenNameTakenError);
    await expect(updateToken(f.deps, 'sa-etl', 'no-such-token', { maxRps: 77 })).rejects.toThrow(TokenNotFoundError);
    expect(f.fake.commands().filter((name) => name.startsWith('Create'))).toStrictEqual([]);
    expect(f.fake.plans.size).toBe(1);
    expect(f.fake.tokenKeys().length).toBe(1);
  });

  it('a create whose claim the table committed but answered with an error goes on: the token gets its key', async () => {
    f.tokens.failNext('create', 'after');
    await f.create('ci', 5);
    const { apiKeyId } = await bindingOf('ci');
    expect(apiKeyId && f.fake.keys.has(apiKeyId)).toBeTruthy();
    expect(await f.stored('ci')).not.toHaveProperty('pendingSince');
    await f.assertInStep();
  });

  it('a create whose completion the table committed but answered with an error keeps the key its token names', async () => {
    f.tokens.failNext('completePending', 'after');
    await f.create('ci', 5);
    const { apiKeyId } = await bindingOf('ci');
    expect(apiKeyId && f.fake.keys.has(apiKeyId)).toBeTruthy();
    await f.assertInStep();
  });

  it('a create whose completion fails deletes its key and its claim: nothing is left, and a retry works', async () => {
    f.tokens.failNext('completePending', 'before');
    await expect(f.create('ci', 5)).rejects.toThrow();
    expect(await f.stored('ci')).toBe(undefined);
    expect(f.fake.tokenKeys().length).toBe(0);
    await f.create('ci', 5);
    await f.assertInStep();
  });

  it('a limit change or suspension of a token still being created waits for it (409, retryable)', async () => {
    const { incarnation } = (await f.importDeps.directory.getPrincipal('sa-etl'))!;
    await f.tokens.inner.create(
      {
        record: {
          serviceAccountId: 'sa-etl',
          name: 'half',
          lookupId: 'HalfMadeToken000',
          prefix: 'iomsat_HalfMadeToken000',
          status: 'ACTIVE',
          maxRps: 5,
          expiresAt: null,
          createdAt: 'x',
          createdBy: 'alice',
          updatedAt: 'x',
          lastUsedAt: null,
          rotatedAt: null,
          rotatedBy: null,
          previousSecret: null,
          incarnation,
        },
        secretHash: 'h',
        removeAfter: null,
        pendingSince: new Date().toISOString(),
      },
      50,
    );
    await expect(updateToken(f.deps, 'sa-etl', 'half', { status: 'SUSPENDED' })).rejects.toThrow(ConcurrentUpdateError);
    await expect(updateToken(f.deps, 'sa-etl', 'half', { maxRps: 9 })).rejects.toThrow(ConcurrentUpdateError);
    expect(f.fake.tokenKeys().length).toBe(0);
  });

  it('a maxRps change the table committed but answered with an error keeps the new key and deletes the old', async () => {
    await f.create('ci', 5);
    const before = await bindingOf('ci');
    f.tokens.failNext('update', 'after');
    await expect(updateToken(f.deps, 'sa-etl', 'ci', { maxRps: 20 })).rejects.toThrow();
    const after = await bindingOf('ci');
    expect(after.apiKeyId).not.toBe(before.apiKeyId);
    expect(f.fake.tokenKeys().map((key) => key.id)).toStrictEqual([after.apiKeyId]);
    await f.assertInStep();
  });

  it('a first limit the table committed but answered with an error keeps the key it was given', async () => {
    await f.create('unlimited', null);
    f.tokens.failNext('update', 'after');
    await expect(updateToken(f.deps, 'sa-etl', 'unlimited', { maxRps: 20 })).rejects.toThrow();
    const after = await bindingOf('unlimited');
    expect((await f.stored('unlimited'))!.maxRps).toBe(20);
    expect(after.apiKeyId).toBeDefined();
    expect(f.fake.tokenKeys().map((key) => key.id)).toStrictEqual([after.apiKeyId]);
    await f.assertInStep();
  });

  it('a suspension the table committed but answered with an error leaves the key disabled', async () => {
    await f.create('ci', 5);
    const { apiKeyId } = await bindingOf('ci');
    f.tokens.failNext('update', 'after');
    await expect(updateToken(f.deps, 'sa-etl', 'ci', { status: 'SUSPENDED' })).rejects.toThrow();
    expect((await f.stored('ci'))!.status).toBe('SUSPENDED');
    expect(f.fake.keys.get(apiKeyId!)!.enabled).toBe(false);
    await f.assertInStep();
  });

  it('a maxRps change whose old key cannot be deleted succeeds; reconcile removes the old key', async () => {
    await f.create('ci', 5);
    const before = await bindingOf('ci');
    f.fake.fail('DeleteApiKey');
    const view = await updateToken(f.deps, 'sa-etl', 'ci', { maxRps: 20 });
    expect(view.maxRps).toBe(20);
    expect(f.compensationFailures.length).toBe(1);
    // 'the old key is left behind'
    expect(f.fake.keys.has(before.apiKeyId!)).toBeTruthy();
    const report = await f.reconcile(true);
    expect(report.drift.map((drift) => [drift.kind, drift.subject, drift.repaired])).toStrictEqual([
      ['orphan-key', `key ${before.apiKeyId}`, true],
    ]);
    expect(!f.fake.keys.has(before.apiKeyId!)).toBeTruthy();
    await f.assertInStep();
  });

  for (const status of ['SUSPENDED', 'ACTIVE'] as const) {
    const start = status === 'SUSPENDED' ? 'ACTIVE' : 'SUSPENDED';
    const change = status === 'SUSPENDED' ? 'suspension' : 'reactivation';
    const suspendedFirst = async () => {
      await f.create('ci', 5);
      if (start === 'SUSPENDED') await updateToken(f.deps, 'sa-etl', 'ci', { status: 'SUSPENDED' });
      f.fake.resetCalls();
      return (await bindingOf('ci')).apiKeyId!;
    };

    it(`${change} failing in the table leaves the key alone: the key follows the table, never leads it`, async () => {
      const apiKeyId = await suspendedFirst();
      f.tokens.failNext('update');
      await expect(updateToken(f.deps, 'sa-etl', 'ci', { status })).rejects.toThrow();
      expect((await f.stored('ci'))!.status).toBe(start);
      expect(f.fake.callsOf('UpdateApiKey')).toStrictEqual([]);
      expect(f.fake.keys.get(apiKeyId)!.enabled).toBe(start === 'ACTIVE');
      await f.assertInStep();
    });

    for (const when of ['before', 'after'] as const) {
      it(`${change} whose key update fails once${when === 'after' ? ' (answer lost)' : ''} sets the key again`, async () => {
        const apiKeyId = await suspendedFirst();
        f.fake.fail('UpdateApiKey', { when });
        await updateToken(f.deps, 'sa-etl', 'ci', { status });
        expect((await f.stored('ci'))!.status).toBe(status);
        expect(f.fake.keys.get(apiKeyId)!.enabled).toBe(status === 'ACTIVE');
        expect(f.compensationFailures).toStrictEqual([]);
        await f.assertInStep();
      });
    }

    it(`${change} whose key cannot be set still changes the token; the failure is reported and reconcile sets the key`, async () => {
      const apiKeyId = await suspendedFirst();
      f.fake.fail('UpdateApiKey', { times: 3 });
      await updateToken(f.deps, 'sa-etl', 'ci', { status });
      expect((await f.stored('ci'))!.status).toBe(status);
      expect(f.compensationFailures.length).toBe(1);
      const report = await f.reconcile(true);
      expect(report.drift.map((drift) => [drift.kind, drift.repaired])).toStrictEqual([['wrong-enabled', true]]);
      expect(f.fake.keys.get(apiKeyId)!.enabled).toBe(status === 'ACTIVE');
      await f.assertInStep();
    });
  }

  it('delete failing in the table keeps both the token and its key', async () => {
    await f.create('ci', 5);
    const { apiKeyId } = await bindingOf('ci');
    f.tokens.failNext('delete');
    await expect(deleteToken(f.deps, 'sa-etl', 'ci')).rejects.toThrow();
    expect(await f.stored('ci')).toBeTruthy();
    expect(f.fake.keys.has(apiKeyId!)).toBeTruthy();
    await f.assertInStep();
  });

  it('delete whose key cannot be deleted still deletes the token; reconcile removes the key', async () => {
    await f.create('ci', 5);
    const { apiKeyId } = await bindingOf('ci');
    f.fake.fail('DeleteApiKey');
    await deleteToken(f.deps, 'sa-etl', 'ci');
    expect(await f.stored('ci')).toBe(undefined);
    expect(f.compensationFailures.length).toBe(1);
    const report = await f.reconcile(true);
    expect(report.drift.map((drift) => [drift.kind, drift.repaired])).toStrictEqual([['orphan-key', true]]);
    expect(!f.fake.keys.has(apiKeyId!)).toBeTruthy();
    await f.assertInStep();
  });

  it('a create whose undo fails too reports it, throws the original error, and reconcile removes the key', async () => {
    f.fake.fail('CreateUsagePlanKey', { skip: 1 });
    f.fake.fail('DeleteApiKey');
    await expect(f.create('ci', 5)).rejects.toMatchObject({ name: 'ServiceUnavailableError' });
    expect(await f.stored('ci')).toBe(undefined);
    expect(f.compensationFailures.length).toBe(1);
    // 'the orphan key exists until reconcile'
    expect(f.fake.tokenKeys().length).toBe(1);
    const report = await f.reconcile(true);
    expect(report.drift.map((drift) => drift.kind)).toStrictEqual(['orphan-key']);
    expect(f.fake.tokenKeys().length).toBe(0);
    await f.assertInStep();
  });
});

describe('concurrent changes of one token', () => {
  it('retries a PATCH that repeats the old limit after a concurrent change, from a fresh read', async () => {
    await f.create('ci', 5);
    f.tokens.interleave('update', () => updateToken(f.deps, 'sa-etl', 'ci', { maxRps: 6 }));
    const view = await updateToken(f.deps, 'sa-etl', 'ci', { maxRps: 5 });
    expect(view.maxRps).toBe(5);
    expect((await f.stored('ci'))!.maxRps).toBe(5);
    expect(f.fake.tokenKeys().length).toBe(1);
    await f.assertInStep();
  });

  it('retries a repeated activation that a suspension overtook: the last write wins and the key follows it', async () => {
    await f.create('ci', 5);
    f.tokens.interleave('update', () => updateToken(f.deps, 'sa-etl', 'ci', { status: 'SUSPENDED' }));
    await updateToken(f.deps, 'sa-etl', 'ci', { status: 'ACTIVE' });
    const { apiKeyId } = await bindingOf('ci');
    expect((await f.stored('ci'))!.status).toBe('ACTIVE');
    expect(f.fake.keys.get(apiKeyId!)!.enabled).toBe(true);
    await f.assertInStep();
  });

  it('retries a suspension whose key a concurrent maxRps change replaced, and disables the new key', async () => {
    await f.create('ci', 5);
    let raced = false;
    f.fake.beforeCommand = async (command) => {
      if (command !== 'UpdateApiKey' || raced) return;
      raced = true;
      await updateToken(f.deps, 'sa-etl', 'ci', { maxRps: 6 });
    };
    await updateToken(f.deps, 'sa-etl', 'ci', { status: 'SUSPENDED' });
    const { apiKeyId } = await bindingOf('ci');
    expect((await f.stored('ci'))!.maxRps).toBe(6);
    expect(f.fake.keys.get(apiKeyId!)!.enabled).toBe(false);
    await f.assertInStep();
  });

  it('deletes the key a concurrent maxRps change swapped in, not only the one it read', async () => {
    await f.create('ci', 5);
    f.tokens.interleave('delete', () => updateToken(f.deps, 'sa-etl', 'ci', { maxRps: 6 }));
    await deleteToken(f.deps, 'sa-etl', 'ci');
    expect(await f.stored('ci')).toBe(undefined);
    expect(f.fake.tokenKeys().length).toBe(0);
    await f.assertInStep();
  });

  it('answers 409 when concurrent changes keep winning, with nothing left behind', async () => {
    await f.create('ci', 5);
    let rps = 10;
    f.tokens.interleave(
      'update',
      () => updateToken({ ...f.deps, tokens: f.tokens.inner }, 'sa-etl', 'ci', { maxRps: rps++ }),
      3,
    );
    await expect(updateToken(f.deps, 'sa-etl', 'ci', { status: 'SUSPENDED' })).rejects.toThrow(ConcurrentUpdateError);
    expect((await f.stored('ci'))!.status).toBe('ACTIVE');
    expect(f.fake.tokenKeys().length).toBe(1);
    await f.assertInStep();
  });
});

describe('retries are idempotent', () => {
  it('adding a key to the plan it is already in is success', async () => {
    await f.create('ci', 5);
    const { apiKeyId } = await bindingOf('ci');
    const planId = planOfRate(5)[0]!.id;
    await reconcileParts(f.rateLimits).inventory.addToPlan(planId, apiKeyId!);
    expect(f.fake.plansOf(apiKeyId!)).toStrictEqual([planId]);
  });

  it('adding a key already in another plan of the stage is a conflict, not a success', async () => {
    await f.create('a', 5);
    await f.create('b', 9);
    const { apiKeyId } = await bindingOf('a');
    await expect(reconcileParts(f.rateLimits).inventory.addToPlan(planOfRate(9)[0]!.id, apiKeyId!)).rejects.toThrow(
      ConflictException,
    );
  });

  it('deleting or disabling twice converges', async () => {
    await f.create('ci', 5);
    const binding = await bindingOf('ci');
    const bound = { apiKeyId: binding.apiKeyId!, usageKey: binding.usageKey! };
    await f.rateLimits.keys.setEnabled(bound, false);
    await f.rateLimits.keys.setEnabled(bound, false);
    expect(f.fake.keys.get(bound.apiKeyId)!.enabled).toBe(false);
    await f.rateLimits.keys.unbind(bound);
    await f.rateLimits.keys.unbind(bound);
    expect(!f.fake.keys.has(bound.apiKeyId)).toBeTruthy();
  });

  it('maps API Gateway throttling of the control plane to a retryable 503', async () => {
    f.fake.fail('CreateApiKey', {
      skip: 1,
      error: () => Object.assign(new Error('Too Many Requests'), { name: 'TooManyRequestsException' }),
    });
    await expect(f.create('ci', 5)).rejects.toMatchObject({ status: 503 });
    f.fake.fail('CreateUsagePlan', {
      error: () => Object.assign(new Error('Too Many Requests'), { name: 'TooManyRequestsException' }),
    });
    await expect(f.create('other', 6)).rejects.toMatchObject({ status: 503 });
  });
});
