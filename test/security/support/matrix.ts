import type { Directory, DirectoryUser } from '../../../shared/directory/directory.js';

/**
 * The authorization matrix of docs/directory.md, "Who may manage tokens", generated: every combination of where the
 * call is made, whether the caller holds the permission there, whether caller and
 * target share a group, what the target is, which operation, and how the caller
 * authenticates. The directory below is built for it: one caller per combination of
 * the caller-side dimensions, so each case's expectation follows from its dimensions
 * alone.
 */

export const contexts = [
  'role domain',
  'bundle domain, user grant',
  'bundle domain, group grant',
  'admin path',
] as const;
export const permissions = ['has permission', 'lacks permission'] as const;
export const groupings = ['shares a group', 'shares none'] as const;
export const targets = ['service account', 'human user', 'missing account', 'account outside the domain'] as const;
export const operations = [
  'list',
  'create',
  'update',
  'reactivate',
  'delete',
  'deprecated create',
  'rotate',
  'list events',
  'list policies',
  'create policy',
  'get policy',
  'delete policy',
  'test policy',
] as const;
/**
 * How the caller authenticates. Beyond a person's JWT and a service account's token: a
 * token with limits of its own (it may give no token more), a JWT that names a service
 * account (refused: accounts authenticate with their tokens), a token whose account an
 * import has since removed (refused: a token never outlives its account), and the secret
 * a rotation replaced, in its grace period (it may only read).
 */
export const identities = [
  'JWT user',
  'token-authenticated service account',
  'limited token',
  'JWT naming a service account',
  'token of a removed account',
  'replaced secret in its grace period',
] as const;

/** Operations that change something: a replaced secret may call none of them. */
export const changingOperations: readonly Operation[] = [
  'create',
  'update',
  'reactivate',
  'delete',
  'deprecated create',
  'rotate',
  'create policy',
  'delete policy',
  'test policy',
];

export type Context = (typeof contexts)[number];
export type Permission = (typeof permissions)[number];
export type Grouping = (typeof groupings)[number];
export type Target = (typeof targets)[number];
export type Operation = (typeof operations)[number];
export type Identity = (typeof identities)[number];

export const ROLE_DOMAIN = 'mx-role';
export const BUNDLE_DOMAIN = 'mx-bundle';
const ELSEWHERE_DOMAIN = 'mx-elsewhere';
const SHARED_GROUP = 'mx-shared';
const APART_GROUP = 'mx-apart';
const GRANT_GROUP = 'mx-bundle-managers';
const VIEW_GROUP = 'mx-bundle-viewers';

/** Target accounts. All share SHARED_GROUP, so only the dimension under test differs. */
export const targetAccount: Record<Target, string> = {
  'service account': 'mx-sa',
  'human user': 'mx-human',
  'missing account': 'mx-missing',
  'account outside the domain': 'mx-sa-elsewhere',
};

/** Holds an admin role and every group: creates the fixtures and the callers' tokens. */
export const SETUP_ADMIN = 'mx-setup';

const slug: Record<Context, string> = {
  'role domain': 'role',
  'bundle domain, user grant': 'bundle-user',
  'bundle domain, group grant': 'bundle-group',
  'admin path': 'admin',
};

const identitySlug: Record<Identity, string> = {
  'JWT user': 'user',
  'token-authenticated service account': 'sa',
  'limited token': 'limited',
  'JWT naming a service account': 'jwt-sa',
  'token of a removed account': 'gone',
  'replaced secret in its grace period': 'prev',
};

export function callerId(context: Context, permission: Permission, grouping: Grouping, identity: Identity): string {
  return [
    'mx',
    slug[context],
    permission === 'has permission' ? 'can' : 'cannot',
    grouping === 'shares a group' ? 'shared' : 'apart',
    identitySlug[identity],
  ].join('-');
}

/** Callers that authenticate with a token of their own (made for them before the cases run). */
export const tokenIdentities: Identity[] = [
  'token-authenticated service account',
  'limited token',
  'token of a removed account',
  'replaced secret in its grace period',
];
/** The limits of the 'limited token' callers' tokens. */
// A rate the cases never reach: what is under test is the limit as a bound, not the throttle.
export const CALLER_TOKEN_LIMITS = { maxRps: 1000, expiresInDays: 30 };

export interface MatrixCase {
  id: number;
  context: Context;
  permission: Permission;
  grouping: Grouping;
  target: Target;
  operation: Operation;
  identity: Identity;
  caller: string;
  account: string;
  expected: { status: number; code?: string };
}

/**
 * The checks in their order: the credential (a replaced secret changes nothing), permission,
 * then target, then same group, then the operation (a limited token creates nothing beyond
 * its own limits: the cases ask for a token without any, and reactivate one without any;
 * and no token creates a federation policy, a grant that would outlive it).
 */
export function expectedOutcome(c: Omit<MatrixCase, 'id' | 'caller' | 'account' | 'expected'>): {
  status: number;
  code?: string;
} {
  if (c.identity === 'JWT naming a service account' || c.identity === 'token of a removed account')
    return { status: 401, code: 'UNAUTHORIZED' };
  if (c.identity === 'replaced secret in its grace period' && changingOperations.includes(c.operation)) {
    return { status: 403, code: 'PREVIOUS_SECRET_READ_ONLY' };
  }
  if (c.permission === 'lacks permission') return { status: 403, code: 'FORBIDDEN' };
  if (c.target !== 'service account') return { status: 404, code: 'SERVICE_ACCOUNT_NOT_FOUND' };
  if (c.grouping === 'shares none') return { status: 403, code: 'NOT_SAME_GROUP' };
  // A policy is made by a person: any token caller, limited or not, is refused.
  if (tokenIdentities.includes(c.identity) && c.operation === 'create policy') {
    return { status: 403, code: 'TOKEN_CANNOT_CREATE_POLICY' };
  }
  // The fixtures have no limits: rotating or reactivating one would hand a limited caller a
  // token worth more than it.
  const beyondLimited = ['create', 'deprecated create', 'rotate', 'reactivate'];
  if (c.identity === 'limited token' && beyondLimited.includes(c.operation)) {
    return { status: 403, code: 'TOKEN_EXCEEDS_CALLER' };
  }
  const statuses: Record<Operation, number> = {
    list: 200,
    create: 201,
    'deprecated create': 201,
    update: 200,
    reactivate: 200,
    delete: 204,
    rotate: 200,
    'list events': 200,
    'list policies': 200,
    'create policy': 201,
    'get policy': 200,
    'delete policy': 204,
    'test policy': 200,
  };
  return { status: statuses[c.operation] };
}

export function matrixCases(): MatrixCase[] {
  const cases: MatrixCase[] = [];
  for (const context of contexts) {
    for (const identity of identities) {
      for (const permission of permissions) {
        for (const grouping of groupings) {
          for (const target of targets) {
            // "Outside the domain" has no meaning where there is no domain.
            if (context === 'admin path' && target === 'account outside the domain') continue;
            for (const operation of operations) {
              const dimensions = { context, permission, grouping, target, operation, identity };
              cases.push({
                id: cases.length + 1,
                ...dimensions,
                caller: callerId(context, permission, grouping, identity),
                account: targetAccount[target],
                expected: expectedOutcome(dimensions),
              });
            }
          }
        }
      }
    }
  }
  return cases;
}

/**
 * What is wrong with the event a policy case wrote, or did not: a refused case writes
 * none; a case that succeeded writes one naming its caller and credential (the callers'
 * tokens are all named 'matrix').
 */
export function policyEventProblems(c: MatrixCase, succeeded: boolean, type: string, event?: Record<string, unknown>) {
  if (!succeeded) return event === undefined ? [] : [`refused but wrote ${type}`];
  if (event === undefined) return [`succeeded but wrote no ${type}`];
  const actor = (event.actor ?? {}) as Record<string, unknown>;
  const byToken = tokenIdentities.includes(c.identity);
  const credential = byToken ? { authenticatedBy: 'ACCESS_TOKEN', tokenName: 'matrix' } : { authenticatedBy: 'JWT' };
  const same = ([field, value]: [string, string]) => actor[field] === value;
  const named = actor.userId === c.caller && Object.entries(credential).every(same);
  return named ? [] : [`${type} names ${JSON.stringify(actor)}`];
}

/** The domain a context's paths name, or undefined on the admin path. */
export function domainOf(context: Context): string | undefined {
  if (context === 'admin path') return undefined;
  return context === 'role domain' ? ROLE_DOMAIN : BUNDLE_DOMAIN;
}

/**
 * The directory of the matrix. Callers who lack the permission hold something close to
 * it, so a check that looked at the wrong thing would let them through: the other
 * model's permission name, a role or bundle without the permission, or (for the admin
 * path) the domain permission instead of an admin role.
 */
const TARGET_FIELDS = {
  type: 'SERVICE_ACCOUNT' as const,
  domains: [ROLE_DOMAIN, BUNDLE_DOMAIN],
  groups: [SHARED_GROUP],
  adminRoles: [],
};

export function matrixDirectory(options: { removed?: boolean; targetRemoved?: boolean } = {}): Directory {
  const users: DirectoryUser[] = [
    // Removed once and added again before the cases run (`targetRemoved`): a new account
    // under an old id, whose predecessor's trail no case may read.
    ...(options.targetRemoved ? [] : [{ ...TARGET_FIELDS, id: targetAccount['service account'] }]),
    {
      id: targetAccount['human user'],
      type: 'USER',
      domains: [ROLE_DOMAIN, BUNDLE_DOMAIN],
      groups: [SHARED_GROUP],
      adminRoles: [],
    },
    {
      id: targetAccount['account outside the domain'],
      type: 'SERVICE_ACCOUNT',
      domains: [ELSEWHERE_DOMAIN],
      groups: [SHARED_GROUP],
      adminRoles: [],
    },
    { id: SETUP_ADMIN, type: 'USER', domains: [], groups: [SHARED_GROUP, APART_GROUP], adminRoles: ['ADMIN'] },
  ];
  const directory: Directory = {
    domains: [
      { id: ROLE_DOMAIN, authorization: 'ROLE_V1' },
      { id: BUNDLE_DOMAIN, authorization: 'BUNDLE_V2' },
      { id: ELSEWHERE_DOMAIN, authorization: 'ROLE_V1' },
    ],
    users,
    roles: [],
    bundles: [
      { domain: BUNDLE_DOMAIN, permissions: ['MANAGE_ACCESS_TOKEN'], users: [], groups: [GRANT_GROUP] },
      { domain: BUNDLE_DOMAIN, permissions: ['VIEW_REPORTS'], users: [], groups: [VIEW_GROUP] },
    ],
  };
  const roleManagers: string[] = [];
  const roleLookalikes: string[] = [];
  const bundleManagers: string[] = [];
  const bundleLookalikes: string[] = [];
  for (const context of contexts) {
    for (const identity of identities) {
      // The import that removes these callers is the same directory without them.
      if (options.removed && identity === 'token of a removed account') continue;
      for (const permission of permissions) {
        for (const grouping of groupings) {
          const id = callerId(context, permission, grouping, identity);
          const can = permission === 'has permission';
          const groups = [grouping === 'shares a group' ? SHARED_GROUP : APART_GROUP];
          if (context === 'bundle domain, group grant') groups.push(can ? GRANT_GROUP : VIEW_GROUP);
          if (context === 'role domain') (can ? roleManagers : roleLookalikes).push(id);
          if (context === 'bundle domain, user grant') (can ? bundleManagers : bundleLookalikes).push(id);
          // The admin path's "lacks" caller manages tokens in a domain instead.
          if (context === 'admin path' && !can) roleManagers.push(id);
          users.push({
            id,
            type: identity === 'JWT user' ? 'USER' : 'SERVICE_ACCOUNT',
            domains: [],
            groups,
            adminRoles: context === 'admin path' && can ? ['ADMIN'] : [],
          });
        }
      }
    }
  }
  directory.roles.push(
    {
      domain: ROLE_DOMAIN,
      name: 'token-managers',
      permissions: ['access_token.manage'],
      users: roleManagers,
      groups: [],
    },
    // The bundle model's permission name, and others, in a role: worth nothing in ROLE_V1.
    {
      domain: ROLE_DOMAIN,
      name: 'lookalikes',
      permissions: ['catalog.read', 'MANAGE_ACCESS_TOKEN'],
      users: roleLookalikes,
      groups: [],
    },
  );
  directory.bundles.push(
    { domain: BUNDLE_DOMAIN, permissions: ['MANAGE_ACCESS_TOKEN', 'VIEW_REPORTS'], users: bundleManagers, groups: [] },
    // The role model's permission name in a bundle: worth nothing in BUNDLE_V2.
    {
      domain: BUNDLE_DOMAIN,
      permissions: ['VIEW_REPORTS', 'access_token.manage'],
      users: bundleLookalikes,
      groups: [],
    },
  );
  return directory;
}
