import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ids } from '../shared/kernel/ids.js';
import { runLifecycle } from '../shared/lifecycle/job.js';
import { nextNoticeAt, noticeDue } from '../shared/lifecycle/notices.js';
import type { TokenRecord } from '../shared/kernel/model.js';
import { batchWrite } from '../shared/dynamodb/batch-write.js';
import { DynamoTokenLifecycle } from '../shared/lifecycle/lifecycle-store.js';
import { ensureTable } from '../shared/dynamodb/table.js';
import { createDocumentClient } from '../shared/dynamodb/client.js';
import { newTokenItems } from '../shared/tokens/token-items.js';
import { mintToken } from '../shared/kernel/token-format.js';
import { LIFECYCLE_ORIGIN, tokenEvent } from '../shared/kernel/events.js';

/**
 * The lifecycle job at scale: a table of `tokens` tokens of which `due` have an expiry
 * notice due and `due` more have gone unused past the suspension setting. What the job
 * reads (queries, index entries, read capacity) should follow the due count and not the
 * table; a scan, what the job would do without its indexes, reads every item. Its time is
 * compared with its floor: the same queries and writes through the store, without the
 * job's code.
 */

const DAY = 86_400_000;
const UNUSED_DAYS = 90;

export interface LifecycleCase {
  tokens: number;
  due: number;
  job: { ms: number; queries: number; items: number; capacityUnits: number; expiring: number; suspended: number };
  floorMs: number;
  ratio: number;
  scan: { items: number; capacityUnits: number };
}

async function seed(
  client: DynamoDBDocumentClient,
  tableName: string,
  tokens: number,
  due: number,
  now: number,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  // The items a pass changes: the tokens due and the idle ones' credentials.
  const changed: Record<string, unknown>[] = [];
  for (let i = 0; i < tokens; i++) {
    const minted = mintToken();
    // The first `due` expire in 6.5 days (their 7-day notice is due), the next `due` were
    // made long ago and never used; the rest expire in a year and were made yesterday.
    const notice = i < due;
    const idle = i >= due && i < 2 * due;
    const createdAt = new Date(now - (idle ? (UNUSED_DAYS + 10) * DAY : DAY)).toISOString();
    const record: TokenRecord = {
      serviceAccountId: `sa-${Math.floor(i / 50)}`,
      name: `t-${i}`,
      lookupId: minted.lookupId,
      prefix: minted.prefix,
      status: 'ACTIVE',
      maxRps: null,
      expiresAt: new Date(now + (notice ? 6.5 * DAY : 365 * DAY)).toISOString(),
      createdAt,
      createdBy: 'bench',
      updatedAt: createdAt,
      lastUsedAt: null,
      rotatedAt: null,
      rotatedBy: null,
      previousSecret: null,
    };
    // The token items (what the job's indexes hold), and the credentials a suspension writes to.
    const both = newTokenItems({ record, secretHash: minted.secretHash, removeAfter: null });
    items.push(both.token, ...(idle ? [both.credential] : []));
    if (notice || idle) changed.push(both.token, ...(idle ? [both.credential] : []));
  }
  await putAll(client, tableName, items);
  return changed;
}

const putAll = (client: DynamoDBDocumentClient, tableName: string, items: Record<string, unknown>[]) =>
  batchWrite(
    client,
    tableName,
    items.map((Item) => ({ PutRequest: { Item } })),
    { concurrency: 8 },
  );

/** What a scan for the same tokens reads: every item of the table. */
async function scanCost(
  client: DynamoDBDocumentClient,
  tableName: string,
  now: string,
): Promise<{ items: number; capacityUnits: number }> {
  let items = 0;
  let capacityUnits = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'noticeAt <= :now',
        ExpressionAttributeValues: { ':now': now },
        ReturnConsumedCapacity: 'TOTAL',
        ExclusiveStartKey: startKey,
      }),
    );
    items += page.ScannedCount ?? 0;
    capacityUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { items, capacityUnits };
}

/** The floor: the job's queries and writes straight through the store. */
async function floorPass(store: DynamoTokenLifecycle, now: Date): Promise<number> {
  const deps = { clock: () => now, ids };
  let passed = 0;
  for await (const due of store.dueNotices(now)) {
    const days = noticeDue(due.expiresAt, now)!;
    await store.recordNotice(
      due,
      nextNoticeAt(due.expiresAt, now),
      tokenEvent(deps, 'token.expiring', due, LIFECYCLE_ORIGIN, {}, now, { daysBefore: days }),
    );
    passed++;
  }
  const beforeDay = new Date(now.getTime() - UNUSED_DAYS * DAY).toISOString().slice(0, 10);
  for await (const idle of store.idleTokens(beforeDay)) {
    await store.suspendIdle(
      idle,
      beforeDay,
      now.toISOString(),
      tokenEvent(deps, 'token.suspended_unused', idle, LIFECYCLE_ORIGIN, {}, now),
    );
    passed++;
  }
  return passed;
}

/**
 * One case, on one table: passes of the job and of its floor in both orders (two pairs),
 * each after the items a pass changes are put back as they were seeded, so every pass
 * finds the same tokens due in the same table. (Audit events stay: they are in partitions
 * no pass reads.) Seeding is most of the step's time; one table instead of one per side
 * halves it, and neither side always goes first.
 */
async function measureLifecycle(
  client: DynamoDBDocumentClient,
  options: { tokens: number; due: number; tag: string },
): Promise<LifecycleCase> {
  const now = Date.now();
  const at = new Date(now);
  const table = `bench-lifecycle-${options.tag}`;
  await ensureTable(client, table);
  const changed = await seed(client, table, options.tokens, options.due, now);
  const scan = await scanCost(client, table, at.toISOString());
  const store = new DynamoTokenLifecycle(client, table, 400);
  const job = () => runLifecycle({ lifecycle: store, clock: () => at, ids, suspendUnusedAfterDays: UNUSED_DAYS }, at);
  const timed = async <T>(pass: () => Promise<T>) => {
    await putAll(client, table, changed);
    const started = performance.now();
    const result = await pass();
    return { result, ms: performance.now() - started };
  };
  const jobs: number[] = [];
  const floors: number[] = [];
  let report: Awaited<ReturnType<typeof job>> | undefined;
  for (let pair = 0; pair < 2; pair++) {
    const order = pair % 2 ? ['floor', 'job'] : ['job', 'floor'];
    for (const side of order) {
      if (side === 'job') {
        const pass = await timed(job);
        report = pass.result;
        jobs.push(pass.ms);
        continue;
      }
      const pass = await timed(() => floorPass(store, at));
      // The floor must find what the job finds, or the two are not comparable.
      if (pass.result !== 2 * options.due) throw new Error(`lifecycle floor: ${pass.result} tokens`);
      floors.push(pass.ms);
    }
  }
  const jobMs = mean(jobs);
  const floorMs = mean(floors);
  return {
    tokens: options.tokens,
    due: options.due,
    job: {
      ms: round1(jobMs),
      ...report!.reads,
      capacityUnits: round1(report!.reads.capacityUnits),
      expiring: report!.expiring,
      suspended: report!.suspendedUnused,
    },
    floorMs: round1(floorMs),
    ratio: Math.round((floorMs / jobMs) * 100) / 100,
    scan: { ...scan, capacityUnits: round1(scan.capacityUnits) },
  };
}

/** The lifecycle job: its reads against the tokens due, at two table sizes, and its floor. */
export async function measureLifecycleCases(endpoint: string, smoke: boolean): Promise<LifecycleCase[]> {
  const documents = createDocumentClient({ region: 'local', endpoint });
  const cases = [];
  for (const [tag, tokens] of [
    ['small', smoke ? 200 : 1_000],
    ['large', smoke ? 1_000 : 10_000],
  ] as const) {
    const measured = await measureLifecycle(documents, { tokens, due: 10, tag });
    if (measured.job.expiring !== 10 || measured.job.suspended !== 10)
      throw new Error(`lifecycle ${tag}: ${JSON.stringify(measured.job)}`);
    cases.push(measured);
    console.error(
      `lifecycle ${tokens} tokens, 10+10 due: ${measured.job.queries} queries read ${measured.job.items} ` +
        `entries (${measured.job.capacityUnits} RCU; a scan: ${measured.scan.items} items, ` +
        `${measured.scan.capacityUnits} RCU), ${measured.job.ms} ms vs floor ${measured.floorMs} ms`,
    );
  }
  return cases;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const round1 = (n: number) => Math.round(n * 10) / 10;
