import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from '../../shared/dynamodb/batch-write.js';
import { eventPartition, keys } from '../../shared/dynamodb/keys.js';
import { newTokenItems } from '../../shared/tokens/token-items.js';
import { mintToken, parseToken } from '../../shared/kernel/token-format.js';
import { adminTokens, domainTokens } from '../support/service.js';
import { count } from './support/figures.js';
import {
  inPool,
  problemShape,
  type Reply,
  type SecurityService,
  secretHygieneTest,
  startSecurityService,
} from './support/harness.js';
import {
  contexts,
  domainOf,
  groupings,
  CALLER_TOKEN_LIMITS,
  identities,
  type MatrixCase,
  matrixCases,
  matrixDirectory,
  permissions,
  policyEventProblems,
  SETUP_ADMIN,
  targetAccount,
  tokenIdentities,
} from './support/matrix.js';
import { importDeps, importDirectory } from '../../shared/directory/import.js';
import { consistencyProblems, type Item, tokenItems } from './support/table.js';

/**
 * The rules of docs/directory.md ("Who may manage tokens") as a generated table, run over
 * HTTP through the local gateway, the real authorizer and the real Middy stack. Every case
 * has a real token behind it where the operation names one, so a check that let a case
 * through would really update or delete something, and the table comparison at the end
 * would see it.
 */
/** The table, case by case, for reading after a run: generated, so not tracked (test-artifacts/ is ignored). */
const REPORT = resolve(import.meta.dirname, '../../test-artifacts/security/authorization-matrix.md');
const NOT_SAME_GROUP_DETAIL = 'You must be in the same group as this service account to view and manage tokens';

const cases = matrixCases();
let api: SecurityService | undefined;
const replies = new Map<number, Reply>();
const verdicts = new Map<number, string[]>();
let itemsBefore: Item[] = [];
let afterItems: Item[] = [];

const fixtureName = (c: MatrixCase) => `fx-${c.id}`;
/** The policy a get, delete or test case names: one of its own, written before the cases run. */
const fixturePolicy = (c: MatrixCase) => `fp${String(c.id).padStart(16, '0')}`;
const createdPolicy = (c: MatrixCase) => `mk-policy-${c.id}`;
const createdName = (c: MatrixCase) => `mk-${c.id}`;
/** The token and policy the target service account's predecessor (the same id, before an import removed it) made. */
const PREDECESSOR = 'predecessor';
/** Each target account's incarnation, once the import re-added the service account. */
const incarnations = new Map<string, string | undefined>();

function request(c: MatrixCase): { method: string; path: string; body?: unknown } {
  const domain = domainOf(c.context);
  const base = domain === undefined ? adminTokens(c.account) : domainTokens(domain, c.account);
  switch (c.operation) {
    case 'list':
      return { method: 'GET', path: base };
    case 'create':
      return { method: 'POST', path: base, body: { name: createdName(c) } };
    case 'update':
      return { method: 'PATCH', path: `${base}/${fixtureName(c)}`, body: { status: 'SUSPENDED' } };
    case 'reactivate':
      return { method: 'PATCH', path: `${base}/${fixtureName(c)}`, body: { status: 'ACTIVE' } };
    case 'delete':
      return { method: 'DELETE', path: `${base}/${fixtureName(c)}` };
    case 'rotate':
      return { method: 'POST', path: `${base}/${fixtureName(c)}/rotate`, body: { gracePeriodSeconds: 60 } };
    case 'list events':
      return { method: 'GET', path: base.replace(/\/tokens$/, '/token-events') };
    case 'list policies':
      return { method: 'GET', path: base.replace(/\/tokens$/, '/federation-policies') };
    case 'create policy':
      return {
        method: 'POST',
        path: base.replace(/\/tokens$/, '/federation-policies'),
        body: { name: createdPolicy(c), issuer: 'https://ci.example.test', subject: 'repo:org/app:**' },
      };
    case 'get policy':
      return { method: 'GET', path: base.replace(/\/tokens$/, `/federation-policies/${fixturePolicy(c)}`) };
    case 'delete policy':
      return { method: 'DELETE', path: base.replace(/\/tokens$/, `/federation-policies/${fixturePolicy(c)}`) };
    case 'test policy':
      return {
        method: 'POST',
        path: base.replace(/\/tokens$/, `/federation-policies/${fixturePolicy(c)}/test`),
        body: { subjectToken: 'not.a.jwt' },
      };
    case 'deprecated create':
      return {
        method: 'POST',
        path:
          domain === undefined
            ? '/api/v1/auth/service-accounts/tokens'
            : `/api/v1/domains/${domain}/auth/service-accounts/tokens`,
        body: { name: createdName(c), serviceAccountId: c.account },
      };
  }
}

/** What is wrong with one case's answer, beyond its status and code. */
function judge(c: MatrixCase, reply: Reply): string[] {
  const wrong: string[] = [];
  const { status, code } = c.expected;
  if (reply.status !== status) wrong.push(`status ${reply.status}, expected ${status}`);
  if (code !== undefined) {
    if (reply.body?.code !== code) wrong.push(`code ${String(reply.body?.code)}, expected ${code}`);
    wrong.push(...problemShape(reply));
    if (code === 'NOT_SAME_GROUP' && reply.body?.detail !== NOT_SAME_GROUP_DETAIL)
      wrong.push(`detail ${JSON.stringify(reply.body?.detail)}`);
    return wrong;
  }
  if (reply.status !== status) return wrong;
  const domain = domainOf(c.context);
  const base = domain === undefined ? adminTokens(c.account) : domainTokens(domain, c.account);
  if (c.operation === 'list') {
    if (
      !Array.isArray(reply.body?.tokens) ||
      !reply.body.tokens.every((t: { serviceAccountId?: string }) => t.serviceAccountId === c.account)
    ) {
      wrong.push("list is not the target account's tokens");
    }
  }
  if (c.operation === 'create' || c.operation === 'deprecated create') {
    if (!parseToken(String(reply.body?.token))) wrong.push('no token in the create response');
    if (reply.headers.location !== `${base}/${createdName(c)}`) wrong.push(`Location ${reply.headers.location}`);
    if (reply.headers['cache-control'] !== 'no-store') wrong.push('no Cache-Control: no-store');
  }
  if (c.operation === 'deprecated create') {
    if (!reply.headers.deprecation) wrong.push('no Deprecation header');
    if (reply.headers.link !== `<${base}>; rel="successor-version"`) wrong.push(`Link ${reply.headers.link}`);
  }
  if (c.operation === 'update' && reply.body?.status !== 'SUSPENDED') wrong.push(`status field ${reply.body?.status}`);
  if (c.operation === 'reactivate' && reply.body?.status !== 'ACTIVE') wrong.push(`status field ${reply.body?.status}`);
  if (
    c.operation === 'rotate' &&
    (!parseToken(String(reply.body?.token)) || reply.headers['cache-control'] !== 'no-store')
  )
    wrong.push('no new secret, or cacheable');
  if (
    c.operation === 'list events' &&
    !(
      Array.isArray(reply.body?.events) &&
      reply.body.events.every((e: { serviceAccountId?: string }) => e.serviceAccountId === c.account)
    )
  ) {
    wrong.push("list events is not the target account's events");
  }
  const predecessor = (e: { tokenName?: string; policy?: { name?: string } }) =>
    e.tokenName === PREDECESSOR || e.policy?.name === PREDECESSOR;
  const predecessors = (reply.body?.events ?? []).filter(predecessor);
  if (c.operation === 'list events' && predecessors.length > 0) {
    wrong.push('list events holds the events of the account the id named before');
  }
  if (
    c.operation === 'list policies' &&
    !(
      Array.isArray(reply.body?.policies) &&
      reply.body.policies.every((p: { serviceAccountId?: string }) => p.serviceAccountId === c.account)
    )
  ) {
    wrong.push("list policies is not the target account's policies");
  }
  if (
    c.operation === 'create policy' &&
    reply.headers.location !== `${base.replace(/\/tokens$/, '/federation-policies')}/${reply.body?.policyId}`
  )
    wrong.push(`Location ${reply.headers.location}`);
  if (
    (c.operation === 'get policy' || c.operation === 'test policy') &&
    (reply.body?.policyId ?? reply.body?.policyId) !== fixturePolicy(c)
  )
    wrong.push('not the named policy');
  if (c.operation === 'test policy' && reply.body?.passed !== false) wrong.push('a malformed JWT passed the test');
  return wrong;
}

/** The token items a case may have touched, before and after, compared with what its answer says happened. */
/**
 * Each scan's token and policy items by account and name (policies by id, and their events): thousands
 * of cases look into scans of thousands of items, so each is indexed once.
 */
const indexes = new WeakMap<Item[], Map<string, Item>>();
function indexed(items: Item[]): Map<string, Item> {
  let index = indexes.get(items);
  if (!index) {
    index = new Map();
    for (const item of tokenItems(items)) index.set(`${String(item.pk)}\0token\0${String(item.name)}`, item);
    for (const item of items.filter(
      (item) => String(item.pk).startsWith('SA#') && String(item.sk).startsWith('FEDPOLICY#'),
    )) {
      index.set(`${String(item.pk)}\0policy\0${String(item.name)}`, item);
      index.set(`${String(item.pk)}\0policyId\0${String(item.policyId)}`, item);
    }
    // Policy events by type and the policy's name (each case's policy has a name of its own).
    for (const item of items.filter((item) => String(item.type).startsWith('federation_policy.'))) {
      const policyName = (item.policy as { name?: string } | undefined)?.name;
      index.set(`event\0${String(item.serviceAccountId)}\0${String(item.type)}\0${String(policyName)}`, item);
    }
    indexes.set(items, index);
  }
  return index;
}

function effectProblems(c: MatrixCase): string[] {
  const find = (items: Item[], name: string) => indexed(items).get(`SA#${c.account}\0token\0${name}`);
  const succeeded = (replies.get(c.id)?.status ?? 0) < 300;
  const problems: string[] = [];
  if (c.operation === 'create' || c.operation === 'deprecated create') {
    const created = find(afterItems, createdName(c));
    if (succeeded !== Boolean(created))
      problems.push(succeeded ? 'answered 201 but stored nothing' : 'refused but stored a token');
  }
  if (c.operation === 'rotate') {
    const rotated = find(afterItems, fixtureName(c))?.rotatedAt;
    if (succeeded !== Boolean(rotated))
      problems.push(succeeded ? 'answered 200 but the token was not rotated' : 'refused but the token was rotated');
  }
  const policy = (items: Item[], by: 'policy' | 'policyId', value: string) =>
    indexed(items).get(`SA#${c.account}\0${by}\0${value}`);
  // A policy's creation and deletion each have their event, with the caller and its credential,
  // in the trail of the account's incarnation (the one its managers read).
  const recorded = (type: string, name: string) => {
    const event = indexed(afterItems).get(`event\0${c.account}\0${type}\0${name}`);
    const trail = eventPartition(c.account, incarnations.get(c.account));
    if (event !== undefined && event.pk !== trail) return [`${type} in ${String(event.pk)}, not the trail ${trail}`];
    return policyEventProblems(c, succeeded, type, event);
  };
  if (c.operation === 'create policy') {
    if (succeeded !== Boolean(policy(afterItems, 'policy', createdPolicy(c)))) {
      problems.push(succeeded ? 'answered 201 but stored no policy' : 'refused but stored a policy');
    }
    problems.push(...recorded('federation_policy.created', createdPolicy(c)));
  }
  if (c.operation === 'delete policy') {
    const gone = !policy(afterItems, 'policyId', fixturePolicy(c));
    if (!policy(itemsBefore, 'policyId', fixturePolicy(c))) problems.push('policy fixture missing');
    else if (succeeded !== gone)
      problems.push(succeeded ? 'answered 204 but the policy stayed' : 'refused but the policy is gone');
    problems.push(...recorded('federation_policy.deleted', `fixture-${c.id}`));
  }
  if (c.operation === 'update' || c.operation === 'reactivate' || c.operation === 'delete') {
    const was = find(itemsBefore, fixtureName(c));
    const now = find(afterItems, fixtureName(c));
    const changed = c.operation === 'update' ? 'SUSPENDED' : 'ACTIVE';
    if (!was) problems.push('fixture missing');
    else if (c.operation === 'delete' && succeeded !== !now)
      problems.push(succeeded ? 'answered 204 but the token stayed' : 'refused but the token is gone');
    else if (c.operation === 'delete') return problems;
    else if (!succeeded && JSON.stringify(was) !== JSON.stringify(now)) problems.push('refused but the token changed');
    else if (succeeded && now?.status !== changed) problems.push(`answered 200 but the token is not ${changed}`);
  }
  return problems;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

function writeReport(): void {
  const failed = cases.filter((c) => (verdicts.get(c.id) ?? ['not run']).length > 0);
  const outcome = (c: MatrixCase) => {
    const reply = replies.get(c.id);
    return reply ? `${reply.status}${reply.body?.code ? ` ${reply.body.code}` : ''}` : 'not run';
  };
  const lines = [
    '# Authorization matrix',
    '',
    'Generated by `test/security/authorization-matrix.test.ts` on every run (`npm test`,',
    '`npm run test:security`); the content depends only on the results, so it changes only',
    'when they do. Every case is one HTTP request through the local gateway, the real',
    'authorizer and the Middy stack. Expected answers follow docs/directory.md, "Who may manage tokens": 401',
    '`UNAUTHORIZED` for a JWT naming a service account and for a token whose account was',
    'removed, then 403 `FORBIDDEN` without the permission, then 404',
    "`SERVICE_ACCOUNT_NOT_FOUND` unless the target is a service account (of the path's",
    'domain), then 403 `NOT_SAME_GROUP` unless caller and account share a group, then the',
    "operation's own answer; a token with limits (maxRps 1000, expiring) creating, rotating",
    'or reactivating a token without them gets 403 `TOKEN_EXCEEDS_CALLER`, and any token creating',
    'a federation policy 403 `TOKEN_CANNOT_CREATE_POLICY`. A policy created or deleted has its',
    "event, naming the caller, in the trail of the account's incarnation. A secret a rotation",
    'replaced, in its grace period, reads as its token does and changes nothing: 403',
    '`PREVIOUS_SECRET_READ_ONLY` for every other method, before the permission check. The',
    'service account is one an import removed and added again: no list of events holds its',
    "predecessor's token or policy.",
    '',
    'Callers that lack the permission hold the nearest thing to it: a role without',
    "`access_token.manage` but with the bundle permission's name, a bundle without",
    "`MANAGE_ACCESS_TOKEN` but with the role permission's name, a group bundle without it,",
    'or (admin path) the domain permission instead of an admin role. Service-account',
    'callers authenticate with an access token (their own, with or without limits, one',
    'whose account an import then removed, or the secret a rotation replaced) or with a JWT',
    'naming them; users with a JWT.',
    '',
    `**${cases.length} cases, ${cases.length - failed.length} as expected, ${failed.length} not.**`,
    '',
    '| # | where | caller | holds | groups | target | operation | expected | actual | |',
    '|---:|---|---|---|---|---|---|---|---|---|',
    ...cases.map((c) => {
      const wrong = verdicts.get(c.id) ?? ['not run'];
      const expected = `${c.expected.status}${c.expected.code ? ` ${c.expected.code}` : ''}`;
      return `| ${c.id} | ${c.context} | ${c.identity} | ${c.permission} | ${c.grouping} | ${c.target} | ${c.operation} | ${expected} | ${outcome(c)} | ${wrong.length === 0 ? 'ok' : `**FAIL**: ${cell(wrong.join('; '))}`} |`;
    }),
    '',
  ];
  mkdirSync(resolve(REPORT, '..'), { recursive: true });
  writeFileSync(REPORT, lines.join('\n'));
}

beforeAll(async () => {
  api = await startSecurityService({
    file: import.meta.filename,
    directory: matrixDirectory(),
    // Fixtures for every update and delete case live on a handful of accounts.
    env: { TOKEN_LIMIT_PER_ACCOUNT: '1000' },
  });
  const service = api;
  // JWT callers sign in at the provider while the fixtures are made, once each.
  const signIns = Promise.all(
    [...new Set(cases.filter((c) => !tokenIdentities.includes(c.identity)).map((c) => c.caller))].map((caller) =>
      service.jwt(caller),
    ),
  );
  signIns.catch(() => undefined);
  // Service-account callers authenticate with a token of their own; a limited one has a
  // rate limit and an expiry, and a removed account's token outlives nothing: its account
  // is removed by an import once the token exists.
  const callerTokens = new Map<string, string>();
  const tokenCallers = new Map(
    cases.filter((c) => tokenIdentities.includes(c.identity)).map((c) => [c.caller, c.identity]),
  );
  const expiresAt = new Date(Date.now() + CALLER_TOKEN_LIMITS.expiresInDays * 86_400_000).toISOString();
  await inPool([...tokenCallers], 4, async ([caller, identity]) => {
    const limits = identity === 'limited token' ? { maxRps: CALLER_TOKEN_LIMITS.maxRps, expiresAt } : {};
    const created = await service.call('POST', adminTokens(caller), {
      as: SETUP_ADMIN,
      body: { name: 'matrix', ...limits },
    });
    expect(created).toMatchObject({ status: 201 });
    callerTokens.set(caller, created.body.token);
    if (identity !== 'replaced secret in its grace period') return;
    // The secret it had until a rotation: in its grace period (a day) for every case.
    const grace = { gracePeriodSeconds: 86_400 };
    const rotation = `${adminTokens(caller)}/matrix/rotate`;
    const rotated = await service.call('POST', rotation, { as: SETUP_ADMIN, body: grace });
    expect(rotated).toMatchObject({ status: 200 });
  });
  // The target service account is one an import removed and a later one added again: its
  // predecessor made a token, and left a trail that no case may read.
  const target = targetAccount['service account'];
  const predecessor = await service.call('POST', adminTokens(target), { as: SETUP_ADMIN, body: { name: PREDECESSOR } });
  expect(predecessor).toMatchObject({ status: 201 });
  // And a policy, whose creation and deletion by the import are events of its trail too.
  const trusted = { name: PREDECESSOR, issuer: 'https://ci.example.test', subject: 'repo:org/app:**' };
  const policies = adminTokens(target).replace(/\/tokens$/, '/federation-policies');
  expect(await service.call('POST', policies, { as: SETUP_ADMIN, body: trusted })).toMatchObject({ status: 201 });
  const deps = importDeps(service.runtime);
  const withoutTarget = matrixDirectory({ removed: true, targetRemoved: true });
  const imported = await importDirectory(deps, withoutTarget, { replace: true });
  const removed = [...tokenCallers.values()].filter((identity) => identity === 'token of a removed account');
  expect(imported.accountsRetired.length).toBe(removed.length + 1);
  expect(imported.policiesDeleted).toBe(1);
  await importDirectory(deps, matrixDirectory({ removed: true }), { replace: true });
  // Fixtures are the target accounts' own, as the service writes them: of their incarnation.
  const incarnationOf = async (id: string) => [id, (await service.directory.getPrincipal(id))?.incarnation] as const;
  for (const [id, incarnation] of await Promise.all(Object.values(targetAccount).map(incarnationOf))) {
    incarnations.set(id, incarnation);
  }
  // A real token behind every update, delete and rotation, written as the store writes it
  // (token, credential, counter): creating hundreds through the API would test nothing the
  // create cases do not. Human users and missing accounts cannot get one through the API
  // (a token never outlives its account); theirs are what an older version could have left.
  const needsFixture = cases.filter((c) => ['update', 'reactivate', 'delete', 'rotate'].includes(c.operation));
  const fixtures: Item[] = [];
  const fixtureTokens = new Map<string, number>();
  for (const c of needsFixture) {
    const minted = mintToken();
    const at = new Date().toISOString();
    const items = newTokenItems({
      record: {
        serviceAccountId: c.account,
        name: fixtureName(c),
        lookupId: minted.lookupId,
        prefix: minted.prefix,
        // A reactivation's fixture is suspended: unlimited and never expiring, worth more than a limited caller.
        status: c.operation === 'reactivate' ? 'SUSPENDED' : 'ACTIVE',
        maxRps: null,
        expiresAt: null,
        createdAt: at,
        createdBy: 'matrix-fixture',
        updatedAt: at,
        lastUsedAt: null,
        rotatedAt: null,
        rotatedBy: null,
        previousSecret: null,
        incarnation: incarnations.get(c.account),
      },
      secretHash: minted.secretHash,
      removeAfter: null,
    });
    fixtures.push(items.token, items.credential);
    fixtureTokens.set(c.account, (fixtureTokens.get(c.account) ?? 0) + 1);
    service.hygiene.secrets.set(parseToken(minted.token)!.secret, minted.prefix);
    service.hygiene.hashes.add(minted.secretHash);
  }
  // A policy behind every get, delete and test, written as an item (some accounts are not
  // service accounts, and the deletes outnumber an account's policy limit).
  for (const c of cases.filter((c) => ['get policy', 'delete policy', 'test policy'].includes(c.operation))) {
    fixtures.push({
      ...keys.policy(c.account, fixturePolicy(c)),
      policyId: fixturePolicy(c),
      serviceAccountId: c.account,
      name: `fixture-${c.id}`,
      issuer: 'https://ci.example.test',
      audiences: ['service-account-tokens'],
      subject: 'repo:org/app:**',
      claims: {},
      maxTtlSeconds: 900,
      maxTokenAgeSeconds: 3600,
      maxRps: null,
      createdBy: 'matrix-fixture',
      createdAt: new Date().toISOString(),
      ...(incarnations.get(c.account) === undefined ? {} : { incarnation: incarnations.get(c.account) }),
    });
  }
  // Written in batches, and each account's counter moved once by its number of tokens.
  await batchWrite(
    service.documents,
    service.tableName,
    fixtures.map((Item) => ({ PutRequest: { Item } })),
    { concurrency: 4 },
  );
  await inPool([...fixtureTokens], 4, ([account, added]) =>
    service.documents.send(
      new UpdateCommand({
        TableName: service.tableName,
        Key: keys.counter(account),
        UpdateExpression: 'ADD tokenCount :n',
        ExpressionAttributeValues: { ':n': added },
      }),
    ),
  );
  await signIns;
  itemsBefore = await service.scanTable();

  await inPool(cases, 8, async (c) => {
    const { method, path, body } = request(c);
    const credential = tokenIdentities.includes(c.identity) ? { token: callerTokens.get(c.caller)! } : { as: c.caller };
    replies.set(c.id, await service.call(method, path, { ...credential, ...(body === undefined ? {} : { body }) }));
    count('matrixCases');
  });
  afterItems = await service.scanTable();
  for (const c of cases) verdicts.set(c.id, [...judge(c, replies.get(c.id)!), ...effectProblems(c)]);
  // The whole matrix runs here: its fixtures and its requests (token, federation policy and
  // directory routes). About a minute on an idle 2-core machine, several when the machine is
  // shared: a hook's budget, not an assertion's; nothing timed is asserted.
}, 360_000);

afterAll(async () => {
  writeReport();
  await api?.stop();
});

describe('authorization matrix (docs/directory.md, "Who may manage tokens"), generated and run over HTTP', () => {
  it(`generates every combination: ${cases.length} cases`, () => {
    // (3 domain contexts × 4 targets + the admin path × 3 targets) × 2 permissions × 2
    // groupings × 13 operations (8 on tokens, 5 on federation policies) × 6 identities.
    expect(cases.length).toBe(4680);
    expect(
      new Set(cases.map((c) => `${c.context}|${c.permission}|${c.grouping}|${c.target}|${c.operation}|${c.identity}`))
        .size,
    ).toBe(cases.length);
    // Every expected answer occurs, so no rule goes untested.
    const answers = new Set(cases.map((c) => `${c.expected.status} ${c.expected.code ?? ''}`.trim()));
    expect([...answers].sort()).toStrictEqual([
      '200',
      '201',
      '204',
      '401 UNAUTHORIZED',
      '403 FORBIDDEN',
      '403 NOT_SAME_GROUP',
      '403 PREVIOUS_SECRET_READ_ONLY',
      '403 TOKEN_CANNOT_CREATE_POLICY',
      '403 TOKEN_EXCEEDS_CALLER',
      '404 SERVICE_ACCOUNT_NOT_FOUND',
    ]);
  });

  for (const context of contexts) {
    for (const identity of identities) {
      for (const permission of permissions) {
        for (const grouping of groupings) {
          const group = cases.filter(
            (c) =>
              c.context === context &&
              c.identity === identity &&
              c.permission === permission &&
              c.grouping === grouping,
          );
          it(`${context}: a ${identity} that ${permission.replace('has', 'holds the').replace('lacks permission', 'lacks the permission')} and ${grouping} gets §3's answer for each target and operation`, () => {
            const wrong = group
              .map((c) => ({ c, problems: verdicts.get(c.id) ?? ['not run'] }))
              .filter(({ problems }) => problems.length > 0)
              .map(
                ({ c, problems }) =>
                  `#${c.id} ${c.operation} on ${c.target} (${targetAccount[c.target]}): ${problems.join('; ')}`,
              );
            expect(wrong).toStrictEqual([]);
          });
        }
      }
    }
  }

  it('leaves the table consistent: every token with its credential, every counter right', () => {
    // 'the matrix created nothing'
    expect(afterItems.length > itemsBefore.length).toBeTruthy();
    expect(consistencyProblems(afterItems)).toStrictEqual([]);
  });
});

secretHygieneTest(() => api);
