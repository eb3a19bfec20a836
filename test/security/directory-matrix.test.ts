import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Directory, DirectoryUser } from '../../shared/directory/directory.js';
import { importDeps, importDirectory } from '../../shared/directory/import.js';
import { adminTokens } from '../support/service.js';
import { inPool, problemShape, type Reply, type SecurityService, startSecurityService } from './support/harness.js';

/**
 * The directory's read endpoints (the console's navigation), whoami and the calling
 * token's own view, for every kind of caller, generated: each identity × each route × a
 * target that exists or not. Members of a domain see its members; admins see every user;
 * a credential that cannot act (a JWT naming a service account, a removed account's token)
 * gets 401 before anything else; the secret a rotation replaced reads as its token does.
 */
const DOMAIN = 'dx-domain';
const OTHER = 'dx-other';

const identities = {
  'member (JWT)': { type: 'USER', domains: [DOMAIN], admin: false },
  'non-member (JWT)': { type: 'USER', domains: [OTHER], admin: false },
  'admin outside the domain (JWT)': { type: 'USER', domains: [OTHER], admin: true },
  'admin member (JWT)': { type: 'USER', domains: [DOMAIN], admin: true },
  'member account (token)': { type: 'SERVICE_ACCOUNT', domains: [DOMAIN], admin: false },
  'admin account outside the domain (token)': { type: 'SERVICE_ACCOUNT', domains: [OTHER], admin: true },
  'member account (replaced secret)': { type: 'SERVICE_ACCOUNT', domains: [DOMAIN], admin: false },
  'admin account outside the domain (replaced secret)': { type: 'SERVICE_ACCOUNT', domains: [OTHER], admin: true },
  'JWT naming a service account': { type: 'SERVICE_ACCOUNT', domains: [DOMAIN], admin: true },
  'token of a removed account': { type: 'SERVICE_ACCOUNT', domains: [DOMAIN], admin: true },
} as const;
type Identity = keyof typeof identities;
const slug = (identity: Identity) => `dx-${Object.keys(identities).indexOf(identity)}`;
const replaced = (identity: Identity) => identity.endsWith('(replaced secret)');
const usesToken = (identity: Identity) =>
  identity.endsWith('(token)') || replaced(identity) || identity === 'token of a removed account';
const refused = (identity: Identity) =>
  identity === 'JWT naming a service account' || identity === 'token of a removed account';

const routes = ['list members', 'get member', 'list users', 'get user', 'whoami', 'self token'] as const;
type RouteName = (typeof routes)[number];
const targets = ['existing', 'missing'] as const;
type Target = (typeof targets)[number];

interface Case {
  identity: Identity;
  route: RouteName;
  target: Target;
  expected: { status: number; code?: string };
}

/** A member of DOMAIN every caller may be asked about; `dx-outsider` is in the directory but not in DOMAIN. */
const TARGET: Record<Target, string> = { existing: 'dx-target', missing: 'dx-outsider' };

function path(c: Case): string {
  switch (c.route) {
    case 'list members':
      return `/api/v1/domains/${c.target === 'existing' ? DOMAIN : 'dx-nowhere'}/members`;
    case 'get member':
      return `/api/v1/domains/${DOMAIN}/members/${TARGET[c.target]}`;
    case 'list users':
      return '/api/v1/auth/users';
    case 'get user':
      return `/api/v1/auth/users/${c.target === 'existing' ? TARGET.existing : 'dx-nobody'}`;
    case 'whoami':
      return '/api/v1/auth/whoami';
    case 'self token':
      return '/api/v1/auth/tokens/self';
  }
}

/** The rules, in the order the endpoints apply them. */
function expectedOutcome(identity: Identity, route: RouteName, target: Target): Case['expected'] {
  if (refused(identity)) return { status: 401, code: 'UNAUTHORIZED' };
  const caller = identities[identity];
  if (route === 'whoami') return { status: 200 };
  if (route === 'self token') return usesToken(identity) ? { status: 200 } : { status: 400, code: 'VALIDATION_FAILED' };
  if (route === 'list members')
    return target === 'existing' && (caller.domains as readonly string[]).includes(DOMAIN)
      ? { status: 200 }
      : { status: 403, code: 'FORBIDDEN' };
  if (route === 'get member') {
    if (!(caller.domains as readonly string[]).includes(DOMAIN)) return { status: 403, code: 'FORBIDDEN' };
    return target === 'existing' ? { status: 200 } : { status: 404, code: 'USER_NOT_FOUND' };
  }
  if (!caller.admin) return { status: 403, code: 'FORBIDDEN' };
  return route === 'get user' && target === 'missing' ? { status: 404, code: 'USER_NOT_FOUND' } : { status: 200 };
}

/** Routes that name no target are asked once. */
const untargeted: RouteName[] = ['list users', 'whoami', 'self token'];
const targetsOf = (route: RouteName): readonly Target[] => (untargeted.includes(route) ? ['existing'] : targets);

const cases: Case[] = (Object.keys(identities) as Identity[]).flatMap((identity) =>
  routes.flatMap((route) =>
    targetsOf(route).map((target) => ({ identity, route, target, expected: expectedOutcome(identity, route, target) })),
  ),
);

function directory(options: { removed?: boolean } = {}): Directory {
  const users: DirectoryUser[] = [
    { id: TARGET.existing, type: 'SERVICE_ACCOUNT', domains: [DOMAIN], groups: ['dx-team'], adminRoles: [] },
    { id: TARGET.missing, type: 'USER', domains: [OTHER], groups: ['dx-team'], adminRoles: [] },
    { id: 'dx-setup', type: 'USER', domains: [], groups: ['dx-team'], adminRoles: ['ADMIN'] },
  ];
  for (const [identity, caller] of Object.entries(identities) as [Identity, (typeof identities)[Identity]][]) {
    if (options.removed && identity === 'token of a removed account') continue;
    users.push({
      id: slug(identity),
      type: caller.type,
      domains: [...caller.domains],
      groups: ['dx-team'],
      adminRoles: caller.admin ? ['ADMIN'] : [],
    });
  }
  return {
    domains: [
      { id: DOMAIN, authorization: 'ROLE_V1' },
      { id: OTHER, authorization: 'ROLE_V1' },
    ],
    users,
    roles: [],
    bundles: [],
  };
}

/** What is wrong with an answer: status, code and problem shape, and that a 200 is the thing asked for. */
function judge(c: Case, reply: Reply): string[] {
  const wrong: string[] = [];
  if (reply.status !== c.expected.status) wrong.push(`status ${reply.status}, expected ${c.expected.status}`);
  if (c.expected.code !== undefined) {
    if (reply.body?.code !== c.expected.code)
      wrong.push(`code ${String(reply.body?.code)}, expected ${c.expected.code}`);
    wrong.push(...problemShape(reply));
    return wrong;
  }
  if (reply.status !== 200) return wrong;
  const ids = (list: unknown) => (Array.isArray(list) ? list.map((entry: { id?: string }) => entry.id) : []);
  if (c.route === 'list members' && !ids(reply.body?.members).includes(TARGET.existing))
    wrong.push('the member list lacks the domain’s member');
  if (c.route === 'list members' && ids(reply.body?.members).includes(TARGET.missing))
    wrong.push('the member list holds a non-member');
  if ((c.route === 'get member' || c.route === 'get user') && reply.body?.id !== TARGET.existing)
    wrong.push(`answered ${String(reply.body?.id)}`);
  if (c.route === 'list users' && !ids(reply.body?.users).includes(TARGET.missing))
    wrong.push('the user list lacks a user');
  if (c.route === 'whoami') {
    const caller = identities[c.identity];
    const expected = { admin: caller.admin, domains: [...caller.domains], manageTokensIn: [] };
    if (
      reply.body?.userId !== slug(c.identity) ||
      JSON.stringify(reply.body?.capabilities) !== JSON.stringify(expected)
    )
      wrong.push(`whoami ${JSON.stringify(reply.body)}`);
  }
  const own = reply.body?.serviceAccountId === slug(c.identity) && reply.body?.name === 'directory-matrix';
  if (c.route === 'self token' && !own) wrong.push(`self ${JSON.stringify(reply.body)}`);
  return wrong;
}

let api: SecurityService | undefined;
const verdicts = new Map<Case, string[]>();

beforeAll(async () => {
  api = await startSecurityService({ file: import.meta.filename, directory: directory() });
  const service = api;
  const tokens = new Map<Identity, string>();
  for (const identity of (Object.keys(identities) as Identity[]).filter(usesToken)) {
    const created = await service.call('POST', adminTokens(slug(identity)), {
      as: 'dx-setup',
      body: { name: 'directory-matrix' },
    });
    expect(created).toMatchObject({ status: 201 });
    tokens.set(identity, created.body.token);
    if (!replaced(identity)) continue;
    // Its secret until a rotation, in its grace period (a day) for every case.
    const grace = { gracePeriodSeconds: 86_400 };
    const rotation = `${adminTokens(slug(identity))}/directory-matrix/rotate`;
    const rotated = await service.call('POST', rotation, { as: 'dx-setup', body: grace });
    expect(rotated).toMatchObject({ status: 200 });
  }
  await importDirectory(importDeps(service.runtime), directory({ removed: true }), { replace: true });
  await inPool(cases, 8, async (c) => {
    const credential = usesToken(c.identity) ? { token: tokens.get(c.identity)! } : { as: slug(c.identity) };
    verdicts.set(c, judge(c, await service.call('GET', path(c), credential)));
  });
});
afterAll(async () => api?.stop());

describe('directory read endpoints and whoami, for every kind of caller', () => {
  it(`generates every combination: ${cases.length} cases, each rule reached`, () => {
    const answers = new Set(cases.map((c) => `${c.expected.status} ${c.expected.code ?? ''}`.trim()));
    const all = ['200', '400 VALIDATION_FAILED', '401 UNAUTHORIZED', '403 FORBIDDEN', '404 USER_NOT_FOUND'];
    expect([...answers].sort()).toStrictEqual(all);
  });

  for (const identity of Object.keys(identities) as Identity[]) {
    it(`${identity}: each route answers by the rules`, () => {
      const wrong = cases
        .filter((c) => c.identity === identity)
        .flatMap((c) => (verdicts.get(c) ?? ['not run']).map((problem) => `${c.route} (${c.target}): ${problem}`));
      expect(wrong).toStrictEqual([]);
    });
  }
});
