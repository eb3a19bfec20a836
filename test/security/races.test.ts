import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Directory } from '../../shared/directory/directory.js';
import { domainTokens } from '../support/service.js';
import { transactionConflict, transactionConflictException } from './support/faults.js';
import { count } from './support/figures.js';
import { type AwsWorld, inAws, leaveAws } from './support/as-in-aws.js';
import {
  problemShape,
  type Reply,
  type SecurityService,
  secretHygieneTest,
  startSecurityService,
} from './support/harness.js';
import { changes, consistencyProblems, snapshot, tokenItems } from './support/table.js';

/**
 * Races over HTTP: many requests at once against one account, then a full scan. DynamoDB
 * Local runs transactions one at a time and never reports a conflict, so the conflicts
 * real DynamoDB raises under contention are injected as well.
 */
const SEED = Number(process.env.SECURITY_SEED ?? 20_261_128);
const LIMIT = 5;
const DOMAIN = 'rc';
const MANAGER = 'rc-manager';
const ACCOUNTS = ['rc-name', 'rc-limit', 'rc-mixed', 'rc-conflict', 'rc-conflict-2', 'rc-keys'] as const;

function racesDirectory(): Directory {
  return {
    domains: [{ id: DOMAIN, authorization: 'ROLE_V1' }],
    users: [
      { id: MANAGER, type: 'USER', domains: [DOMAIN], groups: ['rc-team'], adminRoles: [] },
      ...ACCOUNTS.map((id) => ({
        id,
        type: 'SERVICE_ACCOUNT' as const,
        domains: [DOMAIN],
        groups: ['rc-team'],
        adminRoles: [],
      })),
    ],
    roles: [{ domain: DOMAIN, name: 'managers', permissions: ['access_token.manage'], users: [MANAGER], groups: [] }],
    bundles: [],
  };
}

let api: SecurityService | undefined;

const base = (account: string) => domainTokens(DOMAIN, account);
const outcome = (reply: Reply) => `${reply.status}${reply.body?.code ? ` ${reply.body.code}` : ''}`;

/** Sends every request at once and counts the race. */
async function race(requests: (() => Promise<Reply>)[]): Promise<Reply[]> {
  count('races');
  count('concurrentRequests', requests.length);
  return Promise.all(requests.map((send) => send()));
}

function tally(replies: Reply[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reply of replies) counts[outcome(reply)] = (counts[outcome(reply)] ?? 0) + 1;
  return counts;
}

async function consistent(account: string): Promise<void> {
  expect(consistencyProblems(await api!.scanTable(), account)).toStrictEqual([]);
}

async function clear(account: string): Promise<void> {
  const listed = await api!.call('GET', `${base(account)}?limit=100`, { as: MANAGER });
  for (const token of listed.body.tokens as { name: string }[]) {
    expect((await api!.call('DELETE', `${base(account)}/${token.name}`, { as: MANAGER })).status).toBe(204);
  }
}

beforeAll(async () => {
  api = await startSecurityService({
    file: import.meta.filename,
    directory: racesDirectory(),
    env: { TOKEN_LIMIT_PER_ACCOUNT: String(LIMIT) },
  });
});
afterAll(async () => api?.stop());

describe('races', () => {
  it('lets exactly one of 50 concurrent creates of one name win; the other 49 get 409 TOKEN_NAME_TAKEN', async () => {
    for (const name of ['same-name', 'same-name-again', 'same-name-third']) {
      const replies = await race(
        Array.from({ length: 50 }, () => () => api!.call('POST', base('rc-name'), { as: MANAGER, body: { name } })),
      );
      expect(tally(replies)).toStrictEqual({ '201': 1, '409 TOKEN_NAME_TAKEN': 49 });
      for (const reply of replies.filter((r) => r.status === 409)) expect(problemShape(reply)).toStrictEqual([]);
      const winner = replies.find((r) => r.status === 201)!;
      const stored = tokenItems(await api!.scanTable(), 'rc-name').filter((item) => item.name === name);
      expect(stored.length).toBe(1);
      // The stored token is the winner's: its secret works, and no loser got one.
      expect(stored[0]!.prefix).toBe(winner.body.prefix);
      expect((await api!.call('GET', '/api/v1/auth/whoami', { token: winner.body.token })).body.userId).toBe('rc-name');
      expect(replies.filter((r) => r.body?.token !== undefined).length).toBe(1);
    }
    await consistent('rc-name');
  });

  it(`never stores more than the limit (${LIMIT}) however many creates run at once`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: LIMIT + 1, max: 30 }),
        fc.integer({ min: 0, max: LIMIT - 1 }),
        async (creates, alreadyStored) => {
          await clear('rc-limit');
          for (let i = 0; i < alreadyStored; i++) {
            expect(
              (await api!.call('POST', base('rc-limit'), { as: MANAGER, body: { name: `pre-${i}` } })).status,
            ).toBe(201);
          }
          const replies = await race(
            Array.from(
              { length: creates },
              (_, i) => () => api!.call('POST', base('rc-limit'), { as: MANAGER, body: { name: `burst-${i}` } }),
            ),
          );
          const free = LIMIT - alreadyStored;
          expect(tally(replies)).toStrictEqual({ '201': free, '409 TOKEN_LIMIT_REACHED': creates - free });
          const items = await api!.scanTable();
          expect(tokenItems(items, 'rc-limit').length).toBe(LIMIT);
          expect(consistencyProblems(items, 'rc-limit')).toStrictEqual([]);
        },
      ),
      { seed: SEED, numRuns: 4 },
    );
  });

  it('keeps the limit when a recount races a delete and a create: the counter never falls below the stored tokens', async () => {
    // A create refused at the limit recounts the account (DynamoDB TTL may have removed
    // expired tokens behind the counter's back). Forced order: the recount reads the
    // counter, a delete lands, the recount counts, a create lands, the recount writes.
    const service = api!;
    await clear('rc-limit');
    for (let i = 0; i < LIMIT; i++)
      expect((await service.call('POST', base('rc-limit'), { as: MANAGER, body: { name: `full-${i}` } })).status).toBe(
        201,
      );
    service.faults.reset();
    const counted = service.faults.pause((step) => step.command === 'QueryCommand' && step.input.Select === 'COUNT');
    const rewrite = service.faults.pause(
      (step) => step.command === 'UpdateCommand' && String(step.input.ConditionExpression ?? '').includes('tokenCount'),
    );
    const waitFor = (gate: Promise<void>) =>
      Promise.race([gate, new Promise<void>((resolve) => setTimeout(resolve, 3000))]);
    count('races');
    count('concurrentRequests', 3);
    const late = service.call('POST', base('rc-limit'), { as: MANAGER, body: { name: 'late' } });
    await waitFor(counted.reached);
    const deleted = await service.call('DELETE', `${base('rc-limit')}/full-0`, { as: MANAGER });
    counted.release();
    await waitFor(rewrite.reached);
    const between = await service.call('POST', base('rc-limit'), { as: MANAGER, body: { name: 'between' } });
    rewrite.release();
    await late;
    service.faults.reset();
    expect(deleted.status).toBe(204);
    expect(between.status).toBe(201);
    const items = await service.scanTable();
    const stored = tokenItems(items, 'rc-limit').length;
    // `${stored} tokens stored with a limit of ${LIMIT} (the late create answered ${outcome(lateReply)})`
    expect(stored <= LIMIT).toBeTruthy();
    expect(consistencyProblems(items, 'rc-limit')).toStrictEqual([]);
  });

  it('keeps both items or neither, and a true counter, when create, suspend, update and delete of one token interleave', async () => {
    type Op = 'create' | 'suspend' | 'activate' | 'maxRps' | 'delete';
    const allowed: Record<Op, string[]> = {
      create: ['201', '409 TOKEN_NAME_TAKEN', '409 CONCURRENT_UPDATE'],
      suspend: ['200', '404 TOKEN_NOT_FOUND', '409 CONCURRENT_UPDATE'],
      activate: ['200', '404 TOKEN_NOT_FOUND', '409 CONCURRENT_UPDATE'],
      maxRps: ['200', '404 TOKEN_NOT_FOUND', '409 CONCURRENT_UPDATE'],
      delete: ['204', '404 TOKEN_NOT_FOUND', '409 CONCURRENT_UPDATE'],
    };
    const path = `${base('rc-mixed')}/contested`;
    const send = (op: Op, rps: number) => () => {
      switch (op) {
        case 'create':
          return api!.call('POST', base('rc-mixed'), { as: MANAGER, body: { name: 'contested', maxRps: rps } });
        case 'suspend':
          return api!.call('PATCH', path, { as: MANAGER, body: { status: 'SUSPENDED' } });
        case 'activate':
          return api!.call('PATCH', path, { as: MANAGER, body: { status: 'ACTIVE' } });
        case 'maxRps':
          return api!.call('PATCH', path, { as: MANAGER, body: { maxRps: rps } });
        case 'delete':
          return api!.call('DELETE', path, { as: MANAGER });
      }
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.constantFrom<Op>('create', 'suspend', 'activate', 'maxRps', 'delete'),
            fc.integer({ min: 1, max: 3_000 }),
          ),
          { minLength: 8, maxLength: 24 },
        ),
        async (ops) => {
          const replies = await race(ops.map(([op, rps]) => send(op, rps)));
          replies.forEach(
            (reply, i) =>
              expect(
                allowed[ops[i]![0]].includes(outcome(reply)),
              ).toBeTruthy() /* `${ops[i]![0]} → ${outcome(reply)}` */,
          );
          const items = await api!.scanTable();
          expect(consistencyProblems(items, 'rc-mixed')).toStrictEqual([]);
          const stored = tokenItems(items, 'rc-mixed');
          expect(stored.length <= 1).toBeTruthy();
          // Of every token this round created, only the stored one may still authenticate,
          // and only while it is active.
          for (const created of replies.filter((r) => r.status === 201)) {
            const alive = stored.find((item) => item.prefix === created.body.prefix);
            const whoami = await api!.call('GET', '/api/v1/auth/whoami', { token: created.body.token });
            // `token ${created.body.prefix}: stored ${alive?.status ?? 'no'}`
            expect(whoami.status).toBe(alive?.status === 'ACTIVE' ? 200 : 401);
          }
          await clear('rc-mixed');
        },
      ),
      { seed: SEED, numRuns: 8 },
    );
    await consistent('rc-mixed');
  });

  it('answers an injected transaction conflict with 409 CONCURRENT_UPDATE and Retry-After, writes nothing, and the retry succeeds', async () => {
    const service = api!;
    expect(
      (await service.call('POST', base('rc-conflict'), { as: MANAGER, body: { name: 'existing-0' } })).status,
    ).toBe(201);
    expect(
      (await service.call('POST', base('rc-conflict'), { as: MANAGER, body: { name: 'existing-1' } })).status,
    ).toBe(201);
    const requests = [
      () => service.call('POST', base('rc-conflict'), { as: MANAGER, body: { name: 'new-0' } }),
      () => service.call('POST', base('rc-conflict'), { as: MANAGER, body: { name: 'new-1' } }),
      () =>
        service.call('PATCH', `${base('rc-conflict')}/existing-0`, {
          as: MANAGER,
          body: { status: 'SUSPENDED', maxRps: 7 },
        }),
      () => service.call('DELETE', `${base('rc-conflict')}/existing-1`, { as: MANAGER }),
    ];
    const before = await service.scanTable();
    // Every transaction in this burst is cancelled, as under contention in DynamoDB: the
    // first attempt of each request and each of the retries updates and deletes make.
    service.faults.reset();
    service.faults.inject(transactionConflict, () => true, requests.length * 3);
    const replies = await race(requests);
    service.faults.reset();
    for (const reply of replies) {
      expect(outcome(reply)).toBe('409 CONCURRENT_UPDATE');
      expect(reply.headers['retry-after']).toBe('1');
      expect(problemShape(reply)).toStrictEqual([]);
    }
    expect(changes(snapshot(before), snapshot(await service.scanTable()))).toStrictEqual([]);
    const retried = await Promise.all(requests.map((send) => send()));
    expect(retried.map((r) => r.status)).toStrictEqual([201, 201, 200, 204]);
    await consistent('rc-conflict');
  });

  it('answers an injected TransactionConflictException with 503 and Retry-After, writes nothing, and the retry succeeds', async () => {
    const service = api!;
    expect((await service.call('POST', base('rc-conflict-2'), { as: MANAGER, body: { name: 'held' } })).status).toBe(
      201,
    );
    const requests = [
      () => service.call('POST', base('rc-conflict-2'), { as: MANAGER, body: { name: 'fresh' } }),
      () => service.call('PATCH', `${base('rc-conflict-2')}/held`, { as: MANAGER, body: { maxRps: 3 } }),
    ];
    const before = await service.scanTable();
    service.faults.reset();
    service.faults.inject(transactionConflictException, () => true, requests.length);
    const replies = await race(requests);
    service.faults.reset();
    for (const reply of replies) {
      expect(reply).toMatchObject({ status: 503 });
      expect(reply.headers['retry-after']).toBe('1');
      expect(problemShape(reply)).toStrictEqual([]);
    }
    expect(changes(snapshot(before), snapshot(await service.scanTable()))).toStrictEqual([]);
    expect((await Promise.all(requests.map((send) => send()))).map((r) => r.status)).toStrictEqual([201, 200]);
    await consistent('rc-conflict-2');
  });
});

describe('races as in AWS: changes of one limited token, with the key worker running between them', () => {
  let world: AwsWorld | undefined;
  beforeAll(async () => {
    world = await inAws(api!);
  });
  afterAll(() => leaveAws(api!, world));

  const keyed = (name: string) => `${base('rc-keys')}/${name}`;
  /** No limited token of rc-keys presents the unthrottled key, however far the worker has got. */
  async function presentedProblems(label: string): Promise<string[]> {
    const items = await api!.scanTable();
    const problems: string[] = [];
    for (const token of items.filter((item) => item.pk === 'SA#rc-keys' && typeof item.maxRps === 'number')) {
      const credential = items.find((item) => item.pk === `CRED#${token.lookupId}`) ?? {};
      const holder = { maxRps: token.maxRps as number, lookupId: String(token.lookupId), key: credential as never };
      if ((await world!.usageKeys.keyFor(holder, new Date())) === world!.unthrottled)
        problems.push(`${label}: ${token.sk} presents the unthrottled key`);
    }
    return problems;
  }

  it('leaves no orphan key, no token off its tier, and never the unthrottled key for a limit, when create, maxRps changes, suspension and delete race the worker', async () => {
    const service = api!;
    type Op = 'create' | 'maxRps' | 'suspend' | 'activate' | 'delete' | 'worker';
    const path = keyed('keyed');
    const send = (op: Op, rps: number) => async (): Promise<Reply> => {
      if (op === 'worker') {
        await world!.drain();
        return { status: 200, headers: {}, text: '', body: undefined };
      }
      if (op === 'create')
        return service.call('POST', base('rc-keys'), { as: MANAGER, body: { name: 'keyed', maxRps: rps } });
      if (op === 'delete') return service.call('DELETE', path, { as: MANAGER });
      return service.call('PATCH', path, {
        as: MANAGER,
        body: op === 'maxRps' ? { maxRps: rps } : { status: op === 'suspend' ? 'SUSPENDED' : 'ACTIVE' },
      });
    };
    const problems: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.constantFrom<Op>('create', 'maxRps', 'suspend', 'activate', 'delete', 'worker'),
            // Rates of three tiers, and twice the same tier.
            fc.constantFrom(1, 5, 6, 300),
          ),
          { minLength: 6, maxLength: 14 },
        ),
        async (ops) => {
          const replies = await race(ops.map(([op, rps]) => send(op, rps)));
          const label = ops.map(([op]) => op).join(', ');
          for (const reply of replies) if (reply.status >= 500) problems.push(`after ${label}: ${outcome(reply)}`);
          problems.push(
            ...consistencyProblems(await service.scanTable(), 'rc-keys').map((p) => `after ${label}: ${p}`),
          );
          problems.push(...(await presentedProblems(`after ${label}`)));
          await world!.drain();
          await world!.reconcile(true);
          await world!.drain();
          const drift = (await world!.reconcile(false)).drift;
          problems.push(...drift.map((d) => `after ${label} and repairs: ${d.kind} ${d.subject}: ${d.detail}`));
          await clear('rc-keys');
          await world!.drain();
        },
      ),
      { seed: SEED, numRuns: 12 },
    );
    expect(problems).toStrictEqual([]);
    // Every key the worker made is held by a token (other accounts' tokens with limits hold theirs).
    const holders = (await api!.scanTable()).filter(
      (i) => /^(TOKEN|FEDPOLICY)#/.test(String(i.sk)) && typeof i.apiKeyId === 'string',
    );
    const report = await world!.reconcile(false);
    expect(report.drift).toStrictEqual([]);
    expect(report.ownKeys).toBe(holders.length);
  });
});

secretHygieneTest(() => api);
