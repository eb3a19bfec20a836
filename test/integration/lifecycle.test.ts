import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { runLifecycle } from '../../shared/lifecycle/job.js';
import type { TokenEvent } from '../../shared/kernel/events.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { backfillLifecycle } from '../../shared/lifecycle/lifecycle-backfill.js';
import { newTokenItems } from '../../shared/tokens/token-items.js';
import { mintToken } from '../../shared/kernel/token-format.js';
import { npmRun } from '../support/npm-start.js';
import { domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * The lifecycle job against DynamoDB Local, with a clock the test moves: each expiry
 * notice once however often (and however concurrently) the job runs, reads that grow with
 * the tokens due and not with all tokens, and the suspension of unused tokens, on and off.
 */

const DAY = 86_400_000;
const T0 = Date.parse('2027-03-01T12:00:00.000Z');
let now = T0;
let api: TestService;
const TOKENS = domainTokens('finance', 'sa-etl');
const EVENTS = TOKENS.replace(/\/tokens$/, '/token-events');

beforeAll(async () => {
  api = await startTestService({ throttle: false, parts: () => ({ clock: () => new Date(now) }) });
});
afterAll(async () => api?.stop());

const pass = (suspendUnusedAfterDays?: number, at = now) => {
  const { runtime } = api.service;
  return runLifecycle(
    { lifecycle: runtime.lifecycle, clock: () => new Date(at), ids: runtime.ids, suspendUnusedAfterDays },
    new Date(at),
  );
};

async function events(tokenName: string): Promise<TokenEvent[]> {
  const { status, body } = await api.call('GET', `${EVENTS}?tokenName=${tokenName}&limit=100`, { as: 'alice' });
  expect(status).toBe(200);
  return body.events;
}
const notices = async (tokenName: string) =>
  (await events(tokenName))
    .filter((event) => event.type === 'token.expiring' || event.type === 'token.expired')
    .reverse();

async function create(name: string, expiresAt?: string) {
  const { status, body } = await api.call('POST', TOKENS, {
    as: 'alice',
    body: { name, ...(expiresAt ? { expiresAt } : {}) },
  });
  expect(status).toBe(201);
  return body as { token: string; name: string };
}

describe('expiry notices', () => {
  it('sends each threshold once, at 14, 7 and 1 day(s) before and at expiry, whatever the runs', async () => {
    now = T0;
    const expiresAt = new Date(T0 + 20 * DAY).toISOString();
    await create('nightly', expiresAt);
    // Hourly runs through the token's life, some repeated and some at once.
    for (let at = T0; at <= T0 + 21 * DAY; at += 12 * 3_600_000) {
      now = at;
      await Promise.all([pass(), pass(), pass()]);
      await pass();
    }
    const sent = await notices('nightly');
    expect(sent.map((event) => [event.type, event.details?.daysBefore ?? null])).toStrictEqual([
      ['token.expiring', 14],
      ['token.expiring', 7],
      ['token.expiring', 1],
      ['token.expired', null],
    ]);
    for (const event of sent) {
      expect(event.details?.expiresAt).toBe(expiresAt);
      expect(event.actor).toStrictEqual({ userId: 'lifecycle', authenticatedBy: 'SYSTEM' });
      // Never before its threshold, and within the twelve hours between runs.
      const threshold = Date.parse(expiresAt) - Number(event.details?.daysBefore ?? 0) * DAY;
      expect(Date.parse(event.time) - threshold).toBeGreaterThanOrEqual(0);
      expect(Date.parse(event.time) - threshold).toBeLessThan(12 * 3_600_000);
    }
    // Expired: out of both indexes.
    const item = (await api.scanTable()).find((i) => i.sk === 'TOKEN#nightly')!;
    expect(item.noticeAt).toBeUndefined();
    expect(item.activeDay).toBeUndefined();
  });

  it('starts at the first threshold still ahead, and skips the stale ones after an outage', async () => {
    now = T0;
    await create('short-lived', new Date(T0 + 3 * DAY).toISOString());
    await create('outage', new Date(T0 + 15 * DAY).toISOString());
    // The job does not run for 14.5 days: one notice each, the latest due.
    now = T0 + 14.5 * DAY;
    const report = await pass();
    expect(report.expired).toBe(1);
    expect(report.expiring).toBe(1);
    expect((await notices('short-lived')).map((event) => event.type)).toStrictEqual(['token.expired']);
    expect((await notices('outage')).map((event) => event.details?.daysBefore)).toStrictEqual([1]);
    // Created three days before expiry: no 14- or 7-day notice was ever due.
    now = T0 + 16 * DAY;
    await pass();
    expect((await notices('outage')).map((event) => event.type)).toStrictEqual(['token.expiring', 'token.expired']);
  });

  it('sends nothing for a token without expiry, or one deleted before its notice', async () => {
    now = T0;
    await create('forever');
    await create('gone', new Date(T0 + 10 * DAY).toISOString());
    expect((await api.call('DELETE', `${TOKENS}/gone`, { as: 'alice' })).status).toBe(204);
    now = T0 + 30 * DAY;
    await pass();
    expect(await notices('forever')).toStrictEqual([]);
    expect(await notices('gone')).toStrictEqual([]);
  });

  it('keeps its notices through a rotation (which keeps expiresAt)', async () => {
    now = T0;
    await create('rotated', new Date(T0 + 8 * DAY).toISOString());
    expect(
      (await api.call('POST', `${TOKENS}/rotated/rotate`, { as: 'alice', body: { gracePeriodSeconds: 0 } })).status,
    ).toBe(200);
    now = T0 + 1.5 * DAY;
    await pass();
    expect((await notices('rotated')).map((event) => event.details?.daysBefore)).toStrictEqual([7]);
  });
});

describe('reads', () => {
  it('grow with the tokens due, not with all tokens', async () => {
    // 300 tokens far from expiry, written straight to the table (several accounts' worth).
    const base = Date.parse('2030-01-01T00:00:00Z');
    const later = new Date(base + 200 * DAY).toISOString();
    const put = (account: string, name: string, expiresAt: string) => {
      const minted = mintToken();
      const record = {
        serviceAccountId: account,
        name,
        lookupId: minted.lookupId,
        prefix: minted.prefix,
        status: 'ACTIVE' as const,
        maxRps: null,
        expiresAt,
        createdAt: new Date(base).toISOString(),
        createdBy: 'bench',
        updatedAt: new Date(base).toISOString(),
        lastUsedAt: null,
        rotatedAt: null,
        rotatedBy: null,
        previousSecret: null,
      };
      const items = newTokenItems({ record, secretHash: minted.secretHash, removeAfter: null });
      return Promise.all(
        [items.token, items.credential].map((Item) =>
          api.documentClient.send(new PutCommand({ TableName: api.tableName, Item })),
        ),
      );
    };
    for (let i = 0; i < 300; i += 50)
      await Promise.all(Array.from({ length: 50 }, (_, j) => put(`bulk-${i}`, `t${j}`, later)));
    for (let i = 0; i < 3; i++) await put('bulk-due', `due${i}`, new Date(base + 20 * DAY).toISOString());
    // Everything earlier in this file is long past by 2030: one pass clears it first.
    await pass(undefined, base + 5 * DAY);
    const report = await pass(undefined, base + 7 * DAY);
    expect(report.expiring).toBe(3);
    // One query per shard, and only the entries due.
    expect(report.reads).toMatchObject({ queries: 4, items: 3 });
    const quiet = await pass(undefined, base + 7 * DAY);
    expect(quiet.reads).toMatchObject({ queries: 4, items: 0 });
  });
});

describe('unused tokens', () => {
  it('are never suspended when the setting is off', async () => {
    now = T0;
    await create('idle-off');
    now = T0 + 400 * DAY;
    const report = await pass(undefined);
    expect(report.suspendedUnused).toBe(0);
    expect(
      (await api.call('GET', `${TOKENS}?limit=100`, { as: 'alice' })).body.tokens.find(
        (t: { name: string }) => t.name === 'idle-off',
      ).status,
    ).toBe('ACTIVE');
  });

  it('are suspended (not deleted) after the set days without use, once, and reactivate as usual', async () => {
    now = T0 + 1000 * DAY;
    const unused = await create('never-used');
    const used = await create('used');
    now += 20 * DAY;
    expect((await api.call('GET', '/api/v1/auth/whoami', { token: used.token })).status).toBe(200);
    now += 15 * DAY;
    // 35 days since creation, 15 since the last use.
    const suspensions = async (name: string) =>
      (await events(name)).filter((e) => e.type === 'token.suspended_unused').length;
    await Promise.all([pass(30), pass(30)]);
    await pass(30);
    expect(await suspensions('never-used')).toBe(1);
    expect(await suspensions('used')).toBe(0);
    const list = (await api.call('GET', `${TOKENS}?limit=100`, { as: 'alice' })).body.tokens as {
      name: string;
      status: string;
    }[];
    expect(list.find((t) => t.name === 'never-used')?.status).toBe('SUSPENDED');
    expect(list.find((t) => t.name === 'used')?.status).toBe('ACTIVE');
    expect((await api.call('GET', '/api/v1/auth/whoami', { token: unused.token })).status).toBe(401);
    const [event] = (await events('never-used')).filter((e) => e.type === 'token.suspended_unused');
    expect(event).toMatchObject({
      changes: { status: { before: 'ACTIVE', after: 'SUSPENDED' } },
      details: { unusedDays: 35 },
    });

    // The owner reactivates it: it works, and its idle time starts again from that day.
    expect((await api.call('PATCH', `${TOKENS}/never-used`, { as: 'alice', body: { status: 'ACTIVE' } })).status).toBe(
      200,
    );
    expect((await api.call('GET', '/api/v1/auth/whoami', { token: unused.token })).status).toBe(200);
    await pass(30);
    expect(await suspensions('never-used')).toBe(1);
    now += 31 * DAY;
    await pass(30);
    expect(await suspensions('never-used')).toBe(2);
    expect(await suspensions('used')).toBe(1);
  });

  it('takes a suspended token out of the idle index if one is found there', async () => {
    now = T0 + 2000 * DAY;
    await create('stray');
    expect((await api.call('PATCH', `${TOKENS}/stray`, { as: 'alice', body: { status: 'SUSPENDED' } })).status).toBe(
      200,
    );
    // As if a use were recorded as the suspension landed.
    await api.documentClient.send(
      new UpdateCommand({
        TableName: api.tableName,
        Key: keys.token('sa-etl', 'stray'),
        UpdateExpression: 'SET activeDay = :d',
        ExpressionAttributeValues: { ':d': '2020-01-01' },
      }),
    );
    now += 40 * DAY;
    await pass(30);
    expect((await events('stray')).filter((e) => e.type === 'token.suspended_unused')).toStrictEqual([]);
    expect((await api.scanTable()).find((i) => i.sk === 'TOKEN#stray')!.activeDay).toBeUndefined();
  });
});

describe('tokens stored before the lifecycle indexes', () => {
  it('are brought in by a backfill, once, and then get their notices and idle count', async () => {
    now = T0 + 4000 * DAY;
    const minted = mintToken();
    const at = new Date(now - 100 * DAY).toISOString();
    const record = {
      serviceAccountId: 'sa-etl',
      name: 'from-before',
      lookupId: minted.lookupId,
      prefix: minted.prefix,
      status: 'ACTIVE' as const,
      maxRps: null,
      expiresAt: new Date(now + 5 * DAY).toISOString(),
      createdAt: at,
      createdBy: 'alice',
      updatedAt: at,
      lastUsedAt: null,
      rotatedAt: null,
      rotatedBy: null,
      previousSecret: null,
      // As the account's tokens are: its incarnation's (its trail is where the events go).
      incarnation: (await api.service.runtime.directory.getPrincipal('sa-etl'))!.incarnation,
    };
    const { token, credential } = newTokenItems({ record, secretHash: minted.secretHash, removeAfter: null });
    const { lifecycleShard: _shard, noticeAt: _notice, activeDay: _day, ...old } = token;
    for (const Item of [old, credential])
      await api.documentClient.send(new PutCommand({ TableName: api.tableName, Item }));
    await pass(30);
    expect(await events('from-before')).toStrictEqual([]);

    expect(await backfillLifecycle(api.documentClient, api.tableName, new Date(now))).toBe(1);
    expect(await backfillLifecycle(api.documentClient, api.tableName, new Date(now))).toBe(0);
    const item = (await api.scanTable()).find((i) => i.sk === 'TOKEN#from-before')!;
    // The 14- and 7-day notices were due before the backfill: not sent late.
    expect(item).toMatchObject({ noticeAt: new Date(now + 4 * DAY).toISOString(), activeDay: at.slice(0, 10) });
    await pass(30);
    expect((await events('from-before')).map((event) => event.type)).toStrictEqual(['token.suspended_unused']);
    now += 4.5 * DAY;
    await pass();
    expect((await notices('from-before')).map((event) => event.details?.daysBefore)).toStrictEqual([1]);
  });
});

describe('npm run lifecycle', () => {
  // Run without blocking the event loop: a blocked loop lets the server close this
  // process's kept-alive connections unread, and the next call would find its socket reset.
  const npm = (args: string[], env: Record<string, string> = {}) =>
    npmRun(['run', '-s', 'lifecycle', '--', ...args], { TABLE_NAME: api.tableName, ...env });

  it('runs one pass at the time given, and says what it did', async () => {
    now = T0 + 3000 * DAY;
    await create('cli', new Date(now + 10 * DAY).toISOString());
    const run = await npm(['--now', new Date(now + 3.5 * DAY).toISOString(), '--backfill'], {
      SUSPEND_UNUSED_AFTER_DAYS: '1',
    });
    // What it works on, on stderr: stdout is its report.
    expect(run.stderr).toBe(
      `lifecycle: table ${api.tableName} at ${process.env.DYNAMODB_ENDPOINT} (DYNAMODB_ENDPOINT)\n`,
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Backfill: 0 token\(s\) brought into the lifecycle indexes\./);
    expect(run.stdout).toMatch(
      /1 expiring notice\(s\), 0 expired notice\(s\), [1-9]\d* unused token\(s\) suspended \(suspension after 1 day\(s\)\)/,
    );
    expect((await notices('cli')).map((event) => event.details?.daysBefore)).toStrictEqual([7]);
  });

  it('keeps to the tokens --token names, and lists each change it made', async () => {
    now = T0 + 4000 * DAY;
    await create('scoped-in', new Date(now + 10 * DAY).toISOString());
    await create('scoped-out', new Date(now + 10 * DAY).toISOString());
    const run = await npm(['--now', new Date(now + 3.5 * DAY).toISOString(), '--token', 'sa-etl/scoped-in']);
    expect(run.status).toBe(0);
    // Tokens of earlier cases are due too (and scoped-out): only the one named is touched.
    expect(run.stdout.split('\n')).toStrictEqual([
      expect.stringMatching(/ \(only sa-etl\/scoped-in\): 1 expiring notice\(s\), 0 expired notice\(s\), 0 unused/),
      '  sa-etl/scoped-in: token.expiring (7 day(s) before it expires)',
      '',
    ]);
    expect((await notices('scoped-in')).map((event) => event.details?.daysBefore)).toStrictEqual([7]);
    expect(await notices('scoped-out')).toStrictEqual([]);
    const unscoped = await npm(['--now', new Date(now + 3.5 * DAY).toISOString()]);
    expect(unscoped.stdout).toMatch(/^ {2}sa-etl\/scoped-out: token\.expiring \(7 day\(s\) before it expires\)$/m);
    const malformed = await npm(['--token', 'scoped-in']);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toMatch(/^--token must be <service account>\/<token name>, got "scoped-in"/);
  });

  it('refuses a time it cannot read', async () => {
    const run = await npm(['--now', 'next tuesday']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--now must be an ISO-8601 time/);
  });
});
