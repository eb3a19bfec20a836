import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { TooManyRequestsException } from '@aws-sdk/client-api-gateway';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createPolicy, deletePolicy } from '../../shared/federation/policies.js';
import { tokenKeyOwner } from '../../shared/tokens/ports.js';
import { type CommandName, serviceUnavailable } from './fake-api-gateway.js';
import { lambdaContext } from './fake-key-queue.js';
import { type KeysFixture, keysFixture, STAGE } from './fixture.js';

/**
 * The key worker against API Gateway faked at the SDK boundary and DynamoDB Local: what it
 * makes, moves and deletes for each change a token goes through, that the token presents
 * a key API Gateway honours all along (its tier's pooled key, then its own), and that a
 * fault at any step is retried by the queue until API Gateway and the table agree.
 */

let f: KeysFixture;
beforeAll(async () => {
  f = await keysFixture();
});
afterAll(() => f?.close());
afterEach(() => {
  jest.restoreAllMocks();
  f.fake.clearFaults();
  f.fake.resetCalls();
});

const warmup = () => f.config.apiGateway!.keyWarmupSeconds * 1000;
const lookupIdOf = async (name: string) => String((await f.stored(name))!.lookupId);
/** The key of `name` as API Gateway has it, by the id the token stores. */
async function keyOf(name: string) {
  const token = await f.stored(name);
  return token?.apiKeyId === undefined ? undefined : f.fake.keys.get(String(token.apiKeyId));
}
/** The key `name` presents is one API Gateway lets through on the stage now. */
async function honoured(name: string): Promise<boolean> {
  return f.fake.honours(await f.presented(name), STAGE, f.sim.date(), warmup());
}
const badRequest = () => Object.assign(new Error('bad request'), { name: 'BadRequestException', $metadata: {} });

/** Makes the next table transaction fail: before it takes effect, or after (the answer lost). */
function failNextTransaction(documents: DynamoDBDocumentClient, when: 'before' | 'after') {
  const send = documents.send.bind(documents) as (command: unknown) => Promise<unknown>;
  let armed = true;
  jest.spyOn(documents, 'send').mockImplementation((async (command: { constructor: { name: string } }) => {
    if (!armed || command.constructor.name !== 'TransactWriteCommand') return send(command);
    armed = false;
    const injected = Object.assign(new Error('injected'), { name: 'InternalServerError', $metadata: {} });
    if (when === 'before') throw injected;
    await send(command);
    throw injected;
  }) as never);
}

describe('the key worker', () => {
  it('makes a token’s key in its tier’s plan; the token presents the pooled key until the key is ready', async () => {
    const created = await f.create('new', 100);
    expect(created.view).toMatchObject({ maxRps: 100, enforcedMaxRps: 93 });
    // The create touched no control plane: one message, for the worker.
    expect(f.fake.calls).toStrictEqual([]);
    expect(f.queue.depth).toBe(1);
    expect(await f.presented('new')).toBe(f.pooled.get(93)!.value);
    await f.drain();
    expect(f.fake.commands()).toStrictEqual(['CreateApiKey', 'CreateUsagePlanKey']);
    const key = (await keyOf('new'))!;
    expect(f.fake.plansOf(key.id)).toStrictEqual([f.tierPlans.get(93)]);
    expect(key.name).toBe(`sat-a1b2c3d4e5-prod-${await lookupIdOf('new')}`);
    const stored = (await f.stored('new'))!;
    const credential = (await f.credential(String(stored.lookupId)))!;
    for (const item of [stored, credential])
      expect(item).toMatchObject({ apiKeyId: key.id, usageKey: key.value, keyPlanId: f.tierPlans.get(93), keyRps: 93 });
    // Warming up: still the pooled key, which API Gateway honours; then its own.
    expect(await f.presented('new')).toBe(f.pooled.get(93)!.value);
    expect(await honoured('new')).toBe(true);
    f.sim.now += warmup();
    expect(await f.presented('new')).toBe(key.value);
    expect(await honoured('new')).toBe(true);
    await f.assertInStep();
  });

  it('leaves the key where it is for a change of maxRps within the tier: no call at all', async () => {
    await f.create('same-tier', 100);
    await f.drain();
    f.sim.now += warmup();
    f.fake.resetCalls();
    await f.update('same-tier', { maxRps: 116 });
    await f.drain();
    expect(f.fake.calls).toStrictEqual([]);
    expect(await f.presented('same-tier')).toBe((await keyOf('same-tier'))!.value);
  });

  it('moves the key to the new tier’s plan on a change of tier; meanwhile the token presents the new tier’s pooled key', async () => {
    await f.create('re-tiered', 100);
    await f.drain();
    f.sim.now += warmup();
    const key = (await keyOf('re-tiered'))!;
    f.fake.resetCalls();
    await f.update('re-tiered', { maxRps: 10 });
    // At once: the old key's plan is too fast for 10; the pooled key of tier 8 is not.
    expect(await f.presented('re-tiered')).toBe(f.pooled.get(8)!.value);
    await f.drain();
    expect(f.fake.commands()).toStrictEqual(['DeleteUsagePlanKey', 'CreateUsagePlanKey']);
    expect(f.fake.plansOf(key.id)).toStrictEqual([f.tierPlans.get(8)]);
    expect(await keyOf('re-tiered')).toBe(key);
    expect(await f.presented('re-tiered')).toBe(f.pooled.get(8)!.value);
    f.sim.now += warmup();
    expect(await f.presented('re-tiered')).toBe(key.value);
    await f.assertInStep();
  });

  it('deletes the key of a token whose limit is removed; the token presents the unthrottled key at once', async () => {
    await f.create('unlimited-later', 5);
    await f.drain();
    const key = (await keyOf('unlimited-later'))!;
    await f.update('unlimited-later', { maxRps: null });
    expect(await f.presented('unlimited-later')).toBe(f.unthrottled.value);
    await f.drain();
    expect(f.fake.keys.has(key.id)).toBe(false);
    const stored = (await f.stored('unlimited-later'))!;
    expect(stored).not.toHaveProperty('apiKeyId');
    // Out of the rate keys index and the capacity.
    expect(stored).not.toHaveProperty('keyShard');
    expect(stored).not.toHaveProperty('capacityShard');
    await f.update('unlimited-later', { maxRps: 2 });
    await f.drain();
    expect(f.fake.plansOf((await keyOf('unlimited-later'))!.id)).toStrictEqual([f.tierPlans.get(2)]);
    await f.assertInStep();
  });

  it('calls nothing for a suspension or a reactivation: a reactivated token presents its own key, honoured, at once', async () => {
    await f.create('paused', 20);
    await f.drain();
    f.sim.now += warmup();
    const key = (await keyOf('paused'))!;
    f.fake.resetCalls();
    await f.update('paused', { status: 'SUSPENDED' });
    expect(f.queue.depth).toBe(0);
    // A message for it all the same (a late one, or reconcile's): the worker leaves a suspended token's key alone.
    const owner = { serviceAccountId: 'sa-etl', name: 'paused', lookupId: await lookupIdOf('paused') };
    await f.deps.rateLimits.keyChanged(tokenKeyOwner(owner));
    await f.drain();
    await f.update('paused', { status: 'ACTIVE' });
    expect(f.queue.depth).toBe(0);
    expect(await f.presented('paused')).toBe(key.value);
    expect(await honoured('paused')).toBe(true);
    expect(f.fake.calls).toStrictEqual([]);
  });

  it('deletes a deleted token’s key, and a key it made for a token deleted meanwhile', async () => {
    await f.create('gone', 3);
    await f.drain();
    const key = (await keyOf('gone'))!;
    await f.remove('gone');
    await f.drain();
    expect(f.fake.keys.has(key.id)).toBe(false);
    // Deleted between the worker's read and its write: the key it just made goes too.
    await f.create('gone-meanwhile', 3);
    f.fake.beforeCommand = async (command) => {
      if (command === 'CreateApiKey') await f.remove('gone-meanwhile');
    };
    const before = f.ownKeys().length;
    await f.drain();
    f.fake.beforeCommand = undefined;
    expect(f.ownKeys().length).toBe(before);
    expect(f.fake.commands().slice(-2)).toStrictEqual(['CreateApiKey', 'DeleteApiKey']);
    await f.assertInStep();
  });

  it('does nothing twice for a message delivered twice, or late', async () => {
    const { lookupId } = (await f.stored('paused'))! as { lookupId: string };
    const message = JSON.stringify({ owner: { kind: 'token', serviceAccountId: 'sa-etl', name: 'paused', lookupId } });
    f.fake.resetCalls();
    const sqs = new SQSClient({ region: 'local' });
    for (const at of ['1', '2'])
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: 'q',
          MessageGroupId: 'keys',
          MessageBody: `${message.slice(0, -1)},"at":"${at}"}`,
        }),
      );
    await f.drain();
    expect(f.fake.calls).toStrictEqual([]);
  });

  it('replaces a key someone moved into another plan or deleted by hand', async () => {
    await f.create('tampered', 50);
    await f.drain();
    const key = (await keyOf('tampered'))!;
    // Moved by hand into another plan of the stage.
    f.fake.plans.get(f.tierPlans.get(47)!)!.keyIds.delete(key.id);
    f.fake.plans.get(f.tierPlans.get(1)!)!.keyIds.add(key.id);
    await f.update('tampered', { maxRps: 60 });
    await f.drain();
    const replacement = (await keyOf('tampered'))!;
    expect(replacement.id).not.toBe(key.id);
    expect(f.fake.keys.has(key.id)).toBe(false);
    expect(f.fake.plansOf(replacement.id)).toStrictEqual([f.tierPlans.get(59)]);
    // Deleted by hand: reconcile finds it, the worker makes another.
    f.fake.keys.delete(replacement.id);
    for (const plan of f.fake.plans.values()) plan.keyIds.delete(replacement.id);
    expect((await f.reconcile(true)).drift.map((d) => d.kind)).toStrictEqual(['missing-key']);
    await f.drain();
    expect(f.fake.plansOf((await keyOf('tampered'))!.id)).toStrictEqual([f.tierPlans.get(59)]);
    await f.assertInStep();
  });

  it('stops presenting a key it replaces before deleting it: a run that stops there leaves the pooled key', async () => {
    await f.create('hand-moved', 50);
    await f.drain();
    f.sim.now += warmup();
    const key = (await keyOf('hand-moved'))!;
    expect(await f.presented('hand-moved')).toBe(key.value);
    f.fake.plans.get(f.tierPlans.get(47)!)!.keyIds.delete(key.id);
    f.fake.plans.get(f.tierPlans.get(1)!)!.keyIds.add(key.id);
    expect((await f.reconcile(true)).drift.map((d) => d.kind)).toStrictEqual(['wrong-plan']);
    // The key is deleted, the answer lost: the run fails there, and the queue delivers the message again later.
    f.fake.fail('DeleteApiKey', { when: 'after', error: badRequest });
    await f.queue.deliver(f.worker, () => lambdaContext(() => f.sim.now));
    expect(f.fake.keys.has(key.id)).toBe(false);
    expect(await f.presented('hand-moved')).toBe(f.pooled.get(47)!.value);
    await f.drain();
    await f.assertInStep();
  });
});

describe('the key worker and faults', () => {
  const steps: [string, CommandName | 'TransactWrite', number | null, number | null][] = [
    ['a create', 'CreateApiKey', null, 5],
    ['a create', 'CreateUsagePlanKey', null, 5],
    ['a create', 'TransactWrite', null, 5],
    ['a change of tier', 'DeleteUsagePlanKey', 5, 100],
    ['a change of tier', 'CreateUsagePlanKey', 5, 100],
    ['a change of tier', 'TransactWrite', 5, 100],
    ['a removed limit', 'DeleteApiKey', 5, null],
    ['a removed limit', 'TransactWrite', 5, null],
  ];
  let run = 0;
  for (const [change, step, from, to] of steps) {
    for (const when of ['before', 'after'] as const) {
      it(`retries ${change} whose ${step} fails ${when} it takes effect, until API Gateway and the table agree`, async () => {
        const name = `fault-${run++}`;
        if (from === null) {
          await f.create(name, to);
          if (step === 'TransactWrite') failNextTransaction(f.documents, when);
          else f.fake.fail(step, { when, error: badRequest });
        } else {
          await f.create(name, from);
          await f.drain();
          await f.update(name, { maxRps: to });
          if (step === 'TransactWrite') failNextTransaction(f.documents, when);
          else f.fake.fail(step, { when, error: badRequest });
        }
        // Presented meanwhile: a key API Gateway honours, never the unthrottled one for a limit.
        expect(await honoured(name)).toBe(true);
        if (to !== null) expect(await f.presented(name)).not.toBe(f.unthrottled.value);
        await f.drain();
        expect(f.queue.deadLetters).toStrictEqual([]);
        // A key whose create answer was lost is named by no token: reconcile finds it, the worker deletes it.
        const drift = (await f.reconcile(true)).drift.map((d) => d.kind);
        expect(drift).toStrictEqual(step === 'CreateApiKey' && when === 'after' ? ['orphan-key'] : []);
        await f.drain();
        await f.assertInStep();
        f.sim.now += warmup();
        expect(await honoured(name)).toBe(true);
        if (to !== null) expect(await f.presented(name)).toBe((await keyOf(name))!.value);
      });
    }
  }
});

describe('the key worker and API Gateway’s throttling', () => {
  const throttled = (retryAfterSeconds?: string) => () =>
    new TooManyRequestsException({
      message: 'Too Many Requests',
      $metadata: { httpStatusCode: 429 },
      ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
    });

  it('starts no more calls than its budget (KEY_WORKER_CALLS_PER_SECOND), evenly spaced, however much work waits', async () => {
    for (const i of [0, 1, 2, 3, 4, 5]) await f.create(`paced-${i}`, 11);
    const at: number[] = [];
    f.fake.beforeCommand = async () => void at.push(f.sim.now);
    await f.drain();
    f.fake.beforeCommand = undefined;
    expect(at).toHaveLength(12);
    const gap = 1000 / f.config.apiGateway!.keyCallsPerSecond;
    at.slice(1).forEach((t, i) => expect(t - at[i]!).toBeGreaterThanOrEqual(gap));
  });

  it('waits as long as API Gateway asks (retryAfterSeconds) and tries again, within the invocation', async () => {
    await f.create('asked-to-wait', 7);
    f.fake.fail('CreateApiKey', { error: throttled('3') });
    const started = f.sim.now;
    expect(await f.drain()).toBe(1);
    expect(f.sim.now - started).toBeGreaterThanOrEqual(3000);
    expect(f.fake.commands()).toStrictEqual(['CreateApiKey', 'CreateApiKey', 'CreateUsagePlanKey']);
  });

  it('backs off with jitter, longer each time, while throttled without a hint', async () => {
    await f.create('backed-off', 7);
    f.fake.fail('CreateApiKey', { error: throttled(), times: 4 });
    // The top of each jitter range, so that the test sees each range double.
    jest.spyOn(Math, 'random').mockReturnValue(0.999);
    const at: number[] = [];
    f.fake.beforeCommand = async (command) => {
      if (command === 'CreateApiKey') at.push(f.sim.now);
    };
    await f.drain();
    f.fake.beforeCommand = undefined;
    expect(at).toHaveLength(5);
    const waits = at.slice(1).map((t, i) => t - at[i]!);
    // Full jitter: each wait is at most 0.5 s · 2^n (and at least the pacing gap of 250 ms).
    waits.forEach((wait, n) => expect(wait).toBeLessThanOrEqual(Math.max(250, 500 * 2 ** n)));
    waits.forEach((wait, n) => expect(wait).toBeGreaterThanOrEqual(0.99 * 500 * 2 ** n));
    expect(await keyOf('backed-off')).toBeDefined();
  });

  it('hands back a batch it cannot finish in time, in order from the first it could not do; the queue delivers it again', async () => {
    for (const i of [0, 1, 2]) await f.create(`late-${i}`, 9);
    f.fake.fail('CreateUsagePlanKey', { error: throttled('120'), skip: 1 });
    const event = f.queue.receive()!;
    const answer = await f.worker(
      event,
      lambdaContext(() => f.sim.now),
    );
    // The first finished; the second waited as asked until no time was left; the third waits behind it.
    expect(answer.batchItemFailures.map((failure) => failure.itemIdentifier)).toStrictEqual(
      event.Records.slice(1).map((record) => record.messageId),
    );
    f.queue.settle(answer);
    expect(f.queue.depth).toBe(2);
    await f.drain();
    for (const i of [0, 1, 2]) expect(await keyOf(`late-${i}`)).toBeDefined();
    await f.assertInStep();
  });

  it('moves a message it cannot read to the dead-letter queue after five receives', async () => {
    const sqs = new SQSClient({ region: 'local' });
    await sqs.send(
      new SendMessageCommand({ QueueUrl: 'q', MessageGroupId: 'keys', MessageBody: '{"owner":{"kind":"x"}}' }),
    );
    await f.drain();
    expect(f.queue.deadLetters.map((m) => m.receiveCount)).toStrictEqual([5]);
    f.queue.deadLetters.length = 0;
  });

  it('keeps a token on its pooled key when API Gateway keeps answering, never on the unthrottled key', async () => {
    await f.create('starved', 30);
    f.fake.fail('CreateApiKey', { error: serviceUnavailable, times: 10_000 });
    await f.drain();
    expect(f.queue.deadLetters).toHaveLength(1);
    expect(await f.presented('starved')).toBe(f.pooled.get(29)!.value);
    f.fake.clearFaults();
    f.queue.deadLetters.length = 0;
    // Reconcile finds it without a key and queues it again.
    expect((await f.reconcile(true)).drift.map((d) => d.kind)).toStrictEqual(['missing-key']);
    await f.drain();
    expect(await keyOf('starved')).toBeDefined();
  });
});

describe('the key worker and federation policies', () => {
  it('gives a limited policy one key its tokens share, and deletes it with the policy', async () => {
    const origin = {
      actor: { userId: 'alice', authenticatedBy: 'JWT' as const },
      requestId: null,
      sourceIp: null,
      userAgent: null,
    };
    const { incarnation } = (await f.importDeps.directory.getPrincipal('sa-etl'))!;
    const policy = await createPolicy(f.policies, {
      incarnation,
      serviceAccountId: 'sa-etl',
      name: 'deploy',
      issuer: 'https://token.actions.githubusercontent.com',
      subject: 'repo:org/app:ref:refs/heads/main',
      maxRps: 12,
      createdBy: 'alice',
      origin,
    });
    await f.drain();
    const stored = await f.policies.policies.get('sa-etl', policy.policyId);
    expect(stored).toMatchObject({ keyRps: 11, keyPlanId: f.tierPlans.get(11) });
    const key = f.fake.keys.get(stored!.apiKeyId!)!;
    expect(f.fake.plansOf(key.id)).toStrictEqual([f.tierPlans.get(11)]);
    await deletePolicy(f.policies, 'sa-etl', policy.policyId, origin);
    await f.drain();
    expect(f.fake.keys.has(key.id)).toBe(false);
    await f.assertInStep();
  });
});
