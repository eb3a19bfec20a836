import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Directory, DirectoryUser } from '../../shared/directory/directory.js';
import { shardCounts } from '../../shared/dynamodb/rate-limit-capacity.js';
import { importDirectory } from '../../shared/directory/import.js';
import { policyDeps } from '../../shared/federation/deps.js';
import { DynamoDirectoryStore } from '../../shared/directory/directory-store.js';
import { adminTokens, domainTokens } from '../support/service.js';
import {
  connectionReset,
  type FaultKind,
  internalErrorAfterCommit,
  isWrite,
  networkTimeout,
  type Step,
  throttled,
  transactionConflict,
  transactionConflictException,
} from './support/faults.js';
import { type AwsWorld, inAws, leaveAws } from './support/as-in-aws.js';
import {
  problemShape,
  type Reply,
  type SecurityService,
  secretHygieneTest,
  startSecurityService,
} from './support/harness.js';
import { auditProblems, changes, consistencyProblems, type Item, snapshot } from './support/table.js';

/**
 * Partial failures, injected at every step of every write path. A step is one call the
 * request makes to DynamoDB or API Gateway, found by tracing a successful request first,
 * so a new call in a write path is covered without touching this file. For each step and
 * each kind of fault that can strike it:
 *
 * - the client gets a retryable answer (503 with Retry-After, 409 CONCURRENT_UPDATE with
 *   Retry-After, or the gateway's AUTHORIZER_FAILURE, also 503 with Retry-After, when the
 *   authorizer's own read failed),
 *   or success when the step is one the request may lose (recording lastUsedAt, deleting a
 *   key no token uses any more);
 * - nothing is half-written: every token has its credential, counters are right, and a
 *   fault before the write leaves the table as it was;
 * - the same request, retried, succeeds (or, when the first attempt committed before the
 *   error, answers what a repeated request answers: 409 TOKEN_NAME_TAKEN after a create,
 *   404 TOKEN_NOT_FOUND after a delete);
 * - as in AWS, no token with a limit ever presents the unthrottled key, the count of the
 *   deployment's rate-limited tokens stays right, and once the key worker and reconcile
 *   have run, every key is where its token needs it and no other is left.
 */
const DOMAIN = 'pf';
const MANAGER = 'pf-manager';
const TARGET = 'pf-sa';
const CALLER_SA = 'pf-caller';
/** The account of the API Gateway tests, so drift found there is theirs alone. */
const AWS_TARGET = 'pf-aws';

function partialFailureDirectory(): Directory {
  const user = (
    id: string,
    type: DirectoryUser['type'],
    groups: string[],
    extra: Partial<DirectoryUser> = {},
  ): DirectoryUser => ({
    id,
    type,
    domains: [],
    groups,
    adminRoles: [],
    ...extra,
  });
  return {
    domains: [
      { id: DOMAIN, authorization: 'ROLE_V1' },
      { id: 'imp', authorization: 'ROLE_V1' },
    ],
    users: [
      user(MANAGER, 'USER', ['pf-team'], { domains: [DOMAIN], adminRoles: ['ADMIN'] }),
      user(TARGET, 'SERVICE_ACCOUNT', ['pf-team'], { domains: [DOMAIN] }),
      user(CALLER_SA, 'SERVICE_ACCOUNT', ['pf-team'], { domains: [DOMAIN] }),
      user(AWS_TARGET, 'SERVICE_ACCOUNT', ['pf-team'], { domains: [DOMAIN] }),
      // The directory-import scenario: imp-alice manages "imp" through team A; imp-sa is
      // in team B. She may not touch imp-sa's tokens (no shared group).
      user('imp-alice', 'USER', ['imp-team-a']),
      user('imp-sa', 'SERVICE_ACCOUNT', ['imp-team-b'], { domains: ['imp'] }),
    ],
    roles: [
      { domain: DOMAIN, name: 'managers', permissions: ['access_token.manage'], users: [MANAGER], groups: [] },
      { domain: 'imp', name: 'imp-managers', permissions: ['access_token.manage'], users: [], groups: ['imp-team-a'] },
    ],
    bundles: [],
  };
}

let api: SecurityService | undefined;
let sequence = 0;
const outcome = (reply: Reply) => `${reply.status}${reply.body?.code ? ` ${reply.body.code}` : ''}`;

/** What one write path needs: a fresh precondition per attempt, and how to tell it took effect. */
interface Attempt {
  send(): Promise<Reply>;
  success: string;
  /** What the same request answers once it has already taken effect. */
  repeated: string;
  applied(items: Item[]): boolean;
}
interface WritePath {
  name: string;
  prepare(): Promise<Attempt>;
  /** Steps whose failure the request absorbs and still succeeds. */
  absorbs?(step: Step): boolean;
}

const tokenItem = (items: Item[], account: string, name: string) =>
  items.find((item) => item.pk === `SA#${account}` && item.sk === `TOKEN#${name}`);

async function created(account: string, name: string, maxRps: number | null = null): Promise<Reply> {
  const reply = await api!.call('POST', adminTokens(account), { as: MANAGER, body: { name, maxRps } });
  expect(reply).toMatchObject({ status: 201 });
  return reply;
}

function createPath(
  name: string,
  path: () => string,
  body: (tokenName: string) => Record<string, unknown> = (n) => ({ name: n }),
  account = TARGET,
): WritePath {
  return {
    name,
    async prepare() {
      const tokenName = `c-${++sequence}`;
      const sent = body(tokenName);
      return {
        send: () => api!.call('POST', path(), { as: MANAGER, body: sent }),
        success: '201',
        repeated: '409 TOKEN_NAME_TAKEN',
        applied: (items) => tokenItem(items, account, tokenName) !== undefined,
      };
    },
  };
}

const localPaths: WritePath[] = [
  createPath('create (domain path)', () => domainTokens(DOMAIN, TARGET)),
  createPath('create (admin path)', () => adminTokens(TARGET)),
  createPath(
    'create (deprecated, account in the body)',
    () => `/api/v1/domains/${DOMAIN}/auth/service-accounts/tokens`,
    (n) => ({ name: n, serviceAccountId: TARGET }),
  ),
  {
    name: 'update',
    async prepare() {
      const tokenName = `u-${++sequence}`;
      await created(TARGET, tokenName);
      return {
        send: () =>
          api!.call('PATCH', `${domainTokens(DOMAIN, TARGET)}/${tokenName}`, {
            as: MANAGER,
            body: { status: 'SUSPENDED', maxRps: 9 },
          }),
        success: '200',
        repeated: '200',
        applied: (items) => tokenItem(items, TARGET, tokenName)?.status === 'SUSPENDED',
      };
    },
  },
  {
    name: 'delete',
    async prepare() {
      const tokenName = `d-${++sequence}`;
      await created(TARGET, tokenName);
      return {
        send: () => api!.call('DELETE', `${domainTokens(DOMAIN, TARGET)}/${tokenName}`, { as: MANAGER }),
        success: '204',
        repeated: '404 TOKEN_NOT_FOUND',
        applied: (items) => tokenItem(items, TARGET, tokenName) === undefined,
      };
    },
  },
  {
    name: 'rotate',
    async prepare() {
      const tokenName = `r-${++sequence}`;
      await created(TARGET, tokenName);
      return {
        send: () =>
          api!.call('POST', `${domainTokens(DOMAIN, TARGET)}/${tokenName}/rotate`, {
            as: MANAGER,
            body: { gracePeriodSeconds: 60 },
          }),
        success: '200',
        // A retry after a rotation that committed finds its grace period running.
        repeated: '409 ROTATION_IN_PROGRESS',
        applied: (items) => typeof tokenItem(items, TARGET, tokenName)?.rotatedAt === 'string',
      };
    },
  },
  {
    name: 'lastUsedAt recording (a call with the token)',
    async prepare() {
      const tokenName = `l-${++sequence}`;
      const token = (await created(CALLER_SA, tokenName)).body.token as string;
      return {
        send: () => api!.call('GET', '/api/v1/auth/whoami', { token }),
        success: '200',
        repeated: '200',
        applied: (items) => typeof tokenItem(items, CALLER_SA, tokenName)?.lastUsedAt === 'string',
      };
    },
    // Recording use must never refuse a valid call (docs/data-model.md: lastUsedAt).
    absorbs: (step) => step.command === 'TransactWriteCommand',
  },
];

/** Why a reply is not a retryable refusal, or undefined if it is one. */
function notRetryable(reply: Reply): string | undefined {
  const code = reply.body?.code;
  const retryAfter = reply.headers['retry-after'] !== undefined;
  const fine =
    (reply.status === 503 && code === 'SERVICE_UNAVAILABLE' && retryAfter) ||
    (reply.status === 409 && code === 'CONCURRENT_UPDATE' && retryAfter) ||
    // The gateway's answer when the authorizer fails (its gateway response, in AWS and locally).
    (reply.status === 503 && code === 'AUTHORIZER_FAILURE' && retryAfter);
  const shape = problemShape(reply);
  if (fine && shape.length === 0) return undefined;
  return `${outcome(reply)}${retryAfter ? '' : ' without Retry-After'}${shape.length ? ` (${shape.join('; ')})` : ''}`;
}

/** The table without what may change on any call: lastUsedAt. */
async function state(): Promise<{ items: Item[]; snap(): Map<string, string> }> {
  const items = await api!.scanTable();
  const kept = () => items.map(({ lastUsedAt: _u, ...item }) => item);
  // Made only for the attempts whose refusal must have written nothing.
  return { items, snap: () => snapshot(kept()) };
}

interface Injection {
  label: string;
  /** Arms the fault; resolves nothing. */
  arm(): void;
  struck(): boolean;
  /** The fault is a lost answer: the step took effect before the error. */
  afterEffect: boolean;
  /** The fault struck at or before the path's first write. */
  beforeFirstWrite: boolean;
  absorbed: boolean;
}

/** Checks beyond the table's consistency, given the scan just taken (each attempt scans a growing table: no second scan for them). */
type ExtraChecks = (items: Item[]) => Promise<string[]>;

/** Runs one faulted attempt and its retry; returns what went wrong. */
async function attemptWithFault(
  path: WritePath,
  injection: Injection,
  extraChecks: ExtraChecks = async () => [],
): Promise<string[]> {
  const attempt = await path.prepare();
  // Only a fault before the first write has a "nothing written" to check against.
  const mustWriteNothing = injection.beforeFirstWrite && !injection.afterEffect;
  const before = mustWriteNothing ? await state() : undefined;
  injection.arm();
  const reply = await attempt.send();
  const struck = injection.struck();
  api!.faults.reset();
  const after = await state();
  const where = `${path.name}, ${injection.label}`;
  const problems: string[] = [];
  if (!struck) return [`${where}: the fault never struck (the request took another path)`];
  if (injection.absorbed) {
    if (outcome(reply) !== attempt.success)
      problems.push(
        `${where}: answered ${outcome(reply)}, expected ${attempt.success} (this step must not refuse the request)`,
      );
  } else if (outcome(reply) !== attempt.success) {
    const why = notRetryable(reply);
    if (why) problems.push(`${where}: answered ${why}, not a retryable error`);
    if (before) {
      const written = changes(before.snap(), after.snap());
      if (written.length > 0) problems.push(`${where}: refused but wrote ${written.join(', ')}`);
    }
  }
  problems.push(...consistencyProblems(after.items).map((p) => `${where}: after the fault, ${p}`));
  problems.push(...(await extraChecks(after.items)).map((p) => `${where}: ${p}`));
  if (outcome(reply) !== attempt.success) {
    const retried = await attempt.send();
    const committed = attempt.applied(after.items);
    const expected = committed ? [attempt.success, attempt.repeated] : [attempt.success];
    if (!expected.includes(outcome(retried)))
      problems.push(`${where}: the retry answered ${outcome(retried)}, expected ${expected.join(' or ')}`);
    const final = await state();
    if (!attempt.applied(final.items)) problems.push(`${where}: after the retry the change is not in the table`);
    problems.push(...consistencyProblems(final.items).map((p) => `${where}: after the retry, ${p}`));
    problems.push(...(await extraChecks(final.items)).map((p) => `${where}: after the retry, ${p}`));
  }
  return problems;
}

/** Traces a successful attempt and returns the DynamoDB steps it made. */
async function trace(path: WritePath): Promise<{ steps: Step[] }> {
  const attempt = await path.prepare();
  api!.faults.reset();
  const reply = await attempt.send();
  // `${path.name} without faults: ${reply.text}`
  expect(outcome(reply)).toBe(attempt.success);
  return { steps: [...api!.faults.steps] };
}

function dynamoInjection(step: Step, kind: FaultKind, firstWrite: number, absorbs: boolean): Injection {
  return {
    label: `${kind.name} at step ${step.index + 1} (${step.command})`,
    arm: () => {
      api!.faults.reset();
      api!.faults.inject(kind, step.index);
    },
    struck: () => api!.faults.pending() === 0,
    afterEffect: kind.phase === 'after',
    beforeFirstWrite: step.index <= firstWrite,
    absorbed: absorbs,
  };
}

async function exerciseDynamoFaults(path: WritePath, kinds: FaultKind[], extraChecks?: ExtraChecks): Promise<string[]> {
  const { steps } = await trace(path);
  const firstWrite = steps.findIndex(isWrite);
  // `${path.name} made no write`
  expect(firstWrite >= 0).toBeTruthy();
  const problems: string[] = [];
  for (const step of steps) {
    for (const kind of kinds.filter((k) => k.appliesTo(step))) {
      problems.push(
        ...(await attemptWithFault(
          path,
          dynamoInjection(step, kind, firstWrite, path.absorbs?.(step) ?? false),
          extraChecks,
        )),
      );
    }
  }
  return problems;
}

/**
 * A service on a table of its own. Each attempt scans the whole table, and every attempt
 * leaves its tokens and events there: each write path, and the API Gateway part, starts on
 * a new table, so that none scans again everything the paths before it left (one table
 * for all the local paths made the file a third slower).
 */
async function freshService(): Promise<void> {
  await api?.stop();
  api = await startSecurityService({
    file: import.meta.filename,
    directory: partialFailureDirectory(),
    env: { TOKEN_LIMIT_PER_ACCOUNT: '10000' },
  });
  // Signed in once, up front: signing in reads the directory, and those reads are not steps of a write path.
  await api.jwt(MANAGER);
}

/** The local paths' services that created tokens, kept up, tables and all, until their secret hygiene test. */
const pathServices: SecurityService[] = [];

/**
 * A table of its own for the next local write path: the service before it is kept for the
 * secret hygiene test, or, when nothing has used it yet (the file's first), used as it is.
 */
async function nextPathService(): Promise<void> {
  if (api && api.hygiene.secrets.size === 0) return;
  if (api) pathServices.push(api);
  api = undefined;
  await freshService();
}

beforeAll(freshService);
afterAll(async () => {
  // The newest first: each service's output capture wraps the one started before it.
  await api?.stop();
  for (const service of pathServices.reverse()) await service.stop();
});

describe('partial failures: DynamoDB faults at every step of every write path', () => {
  for (const path of localPaths) {
    it(`${path.name}: answers a retryable error, writes all or nothing, and the retry succeeds`, async () => {
      await nextPathService();
      // And the audit trail holds every change that happened, and no other.
      const audit = async (items: Item[]) => auditProblems(items);
      const problems = await exerciseDynamoFaults(
        path,
        [throttled, internalErrorAfterCommit, transactionConflict, transactionConflictException],
        audit,
      );
      expect(problems).toStrictEqual([]);
    });
  }

  it('answers a DynamoDB timeout or dropped connection at any step of create, update and delete with a retryable 503, not a 500', async () => {
    await nextPathService();
    const problems: string[] = [];
    for (const path of localPaths.filter((p) => ['create (domain path)', 'update', 'delete'].includes(p.name))) {
      problems.push(...(await exerciseDynamoFaults(path, [networkTimeout, connectionReset])));
    }
    expect(problems).toStrictEqual([]);
  });

  // Every local path's service's secrets, before the next part replaces the last one.
  secretHygieneTest(() => [...pathServices, api]);
});

// ---------------------------------------------------------------------------------------
// As in AWS: the same HTTP endpoints, changes to the key worker's queue (faked), keys named
// from the published shared keys; faults in DynamoDB, and the queue unavailable.

let world: AwsWorld | undefined;

/**
 * After a faulted attempt, before any repair: no token with a limit presents the
 * unthrottled key, and the capacity counts every token with a limit, once. A change the
 * key worker never heard of (its message lost with the answer) is allowed until
 * reconcile: then the worker runs, reconcile queues what it finds, the worker runs again,
 * and nothing may be left out of step.
 */
async function keysInStep(items: Item[]): Promise<string[]> {
  const w = world!;
  const problems: string[] = [];
  const tokens = items.filter((item) => item.pk === `SA#${AWS_TARGET}` && String(item.sk).startsWith('TOKEN#'));
  for (const token of tokens.filter((item) => typeof item.maxRps === 'number')) {
    const credential = items.find((item) => item.pk === `CRED#${token.lookupId}`)!;
    const holder = { maxRps: token.maxRps as number, lookupId: String(token.lookupId), key: credential as never };
    if ((await w.usageKeys.keyFor(holder, new Date())) === w.unthrottled)
      problems.push(`${token.sk} presents the unthrottled key`);
    if (typeof token.capacityShard !== 'number') problems.push(`${token.sk} has a limit and no place in the capacity`);
  }
  const places = items.filter((item) => typeof item.capacityShard === 'number').length;
  const counted = (await shardCounts({ client: api!.documents, tableName: api!.tableName })).reduce(
    (sum, s) => sum + s.count,
    0,
  );
  if (counted !== places) problems.push(`the capacity counts ${counted}, the table holds ${places} places`);
  await w.drain();
  await w.reconcile(true);
  await w.drain();
  problems.push(
    ...(await w.reconcile(false)).drift.map(
      (d) => `after the worker and reconcile, ${d.kind} ${d.subject}: ${d.detail}`,
    ),
  );
  for (const key of w.fake.keys.values()) api!.hygiene.hashes.add(key.value);
  return problems;
}

const aws = (path: string) => domainTokens(DOMAIN, AWS_TARGET) + path;

function limitedToken(
  name: string,
  from: number | null,
  send: (tokenName: string) => Promise<Reply>,
  success: string,
  repeated: string,
  applied: (item: Item | undefined) => boolean,
): WritePath {
  return {
    name,
    async prepare() {
      const tokenName = `k-${++sequence}`;
      await created(AWS_TARGET, tokenName, from);
      await world!.drain();
      return {
        send: () => send(tokenName),
        success,
        repeated,
        applied: (items) => applied(tokenItem(items, AWS_TARGET, tokenName)),
      };
    },
  };
}

const patch = (body: Record<string, unknown>) => (n: string) => api!.call('PATCH', aws(`/${n}`), { as: MANAGER, body });
const limitedPaths: WritePath[] = [
  createPath(
    'create with a maxRps',
    () => aws(''),
    (n) => ({ name: n, maxRps: 5 }),
    AWS_TARGET,
  ),
  limitedToken(
    'maxRps change to another tier',
    5,
    patch({ maxRps: 300 }),
    '200',
    '200',
    (item) => item?.maxRps === 300,
  ),
  limitedToken('maxRps set (a place taken)', null, patch({ maxRps: 7 }), '200', '200', (item) => item?.maxRps === 7),
  limitedToken(
    'maxRps removed (a place given back)',
    5,
    patch({ maxRps: null }),
    '200',
    '200',
    (item) => item?.maxRps === null,
  ),
  limitedToken(
    'suspension of a limited token',
    5,
    patch({ status: 'SUSPENDED' }),
    '200',
    '200',
    (item) => item?.status === 'SUSPENDED',
  ),
  limitedToken(
    'delete of a limited token',
    5,
    (n) => api!.call('DELETE', aws(`/${n}`), { as: MANAGER }),
    '204',
    '404 TOKEN_NOT_FOUND',
    (item) => item === undefined,
  ),
];

describe('partial failures as in AWS: DynamoDB faults at every step, and the key queue unavailable', () => {
  beforeAll(async () => {
    await freshService();
    world = await inAws(api!);
  });
  afterAll(() => leaveAws(api!, world));

  for (const path of limitedPaths) {
    it(`${path.name}: answers a retryable error or succeeds, never presents the unthrottled key, and the worker and reconcile leave nothing out of step`, async () => {
      const problems = await exerciseDynamoFaults(
        path,
        [throttled, internalErrorAfterCommit, transactionConflict],
        keysInStep,
      );
      // The change is made, and answered, when the key worker's queue cannot be reached.
      const attempt = await path.prepare();
      world!.queue.failSends = 1;
      const reply = await attempt.send();
      world!.queue.failSends = 0;
      if (outcome(reply) !== attempt.success) problems.push(`with the queue unavailable: answered ${outcome(reply)}`);
      problems.push(...(await keysInStep(await api!.scanTable())).map((p) => `with the queue unavailable: ${p}`));
      expect(problems).toStrictEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------
// Directory import: a batch of writes that is not one transaction.

describe('partial failures of a directory import', () => {
  const baseDirectory = partialFailureDirectory();
  /** imp-alice moves from team A to team B, and thirty users arrive: more than one batch of writes. */
  const update: Directory = {
    domains: [],
    users: [
      { id: 'imp-alice', type: 'USER', domains: [], groups: ['imp-team-b'], adminRoles: [] },
      ...Array.from(
        { length: 30 },
        (_, i): DirectoryUser => ({
          id: `imp-filler-${String(i).padStart(2, '0')}`,
          type: 'USER',
          domains: [],
          groups: ['imp-fillers'],
          adminRoles: [],
        }),
      ),
    ],
    roles: [],
    bundles: [],
  };
  const clean = () => new DynamoDirectoryStore(api!.documents, api!.tableName);
  const directoryState = async () =>
    snapshot((await api!.scanTable()).filter((item) => /^(USER|DOMAIN)#/.test(String(item.pk))));
  /** What imp-alice may do to imp-sa's tokens: before the import she shares no group, after it she holds no permission. */
  const aliceMayList = async () =>
    (await api!.call('GET', domainTokens('imp', 'imp-sa'), { as: 'imp-alice' })).status === 200;

  let steps: Step[] = [];
  let reference = new Map<string, string>();
  beforeAll(async () => {
    await importDirectory(
      { directory: clean(), tokens: api!.runtime, policies: policyDeps(api!.runtime) },
      baseDirectory,
      { replace: true },
    );
    expect(await aliceMayList()).toBe(false);
    api!.faults.reset();
    await importDirectory({ directory: clean(), tokens: api!.runtime, policies: policyDeps(api!.runtime) }, update, {
      replace: false,
    });
    steps = [...api!.faults.steps];
    reference = await directoryState();
    expect(await aliceMayList()).toBe(false);
  });

  const everyFault = async (check: (step: Step, kind: FaultKind) => Promise<string[]>) => {
    const problems: string[] = [];
    // 'the import fits one batch, so it cannot fail half-way'
    expect(steps.filter((s) => s.command === 'BatchWriteCommand').length > 1).toBeTruthy();
    for (const step of steps) {
      for (const kind of [throttled, internalErrorAfterCommit].filter((k) => k.appliesTo(step))) {
        await importDirectory(
          { directory: clean(), tokens: api!.runtime, policies: policyDeps(api!.runtime) },
          baseDirectory,
          { replace: true },
        );
        api!.faults.reset();
        api!.faults.inject(kind, step.index);
        const failed = await importDirectory(
          { directory: clean(), tokens: api!.runtime, policies: policyDeps(api!.runtime) },
          update,
          { replace: false },
        ).then(
          () => false,
          () => true,
        );
        const struck = api!.faults.pending() === 0;
        api!.faults.reset();
        if (!struck || !failed) {
          problems.push(
            `${kind.name} at step ${step.index + 1} (${step.command}): ${struck ? 'the import did not report the failure' : 'never struck'}`,
          );
          continue;
        }
        problems.push(
          ...(await check(step, kind)).map((p) => `${kind.name} at step ${step.index + 1} (${step.command}): ${p}`),
        );
      }
    }
    return problems;
  };

  it('reports a failure at any step, and running the import again converges on what a clean import writes', async () => {
    const problems = await everyFault(async () => {
      await importDirectory({ directory: clean(), tokens: api!.runtime, policies: policyDeps(api!.runtime) }, update, {
        replace: false,
      });
      const now = await directoryState();
      const differs = changes(reference, now);
      return differs.length > 0 ? [`after the re-run: ${differs.join(', ')}`] : [];
    });
    expect(problems).toStrictEqual([]);
  });

  it('never grants, while an import is half-done, what neither the old nor the new directory grants', async () => {
    const problems = await everyFault(async () =>
      (await aliceMayList()) ? ["imp-alice may manage imp-sa's tokens (old: no shared group; new: no permission)"] : [],
    );
    await importDirectory(
      { directory: clean(), tokens: api!.runtime, policies: policyDeps(api!.runtime) },
      baseDirectory,
      { replace: true },
    );
    expect(problems).toStrictEqual([]);
  });
});

secretHygieneTest(() => api);
