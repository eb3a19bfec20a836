import { createHash } from 'node:crypto';
import { type AuthorizationModel, DIRECTORY_ID_PATTERN, type UserType } from '../kernel/model.js';

/**
 * The directory (docs/directory.md, "The directory file"): domains, users, roles and bundles. This module checks
 * it and derives who may manage tokens where; it knows nothing of DynamoDB. Parsing the
 * file is in `directory-schema.ts`, so that functions reading the directory do not load zod.
 */

export interface DirectoryDomain {
  id: string;
  authorization: AuthorizationModel;
}
export interface DirectoryUser {
  id: string;
  type: UserType;
  domains: string[];
  groups: string[];
  adminRoles: string[];
}
export interface DirectoryRole {
  domain: string;
  name: string;
  permissions: string[];
  users: string[];
  groups: string[];
}
export interface DirectoryBundle {
  domain: string;
  /** Optional, unique per domain: the bundle's identity. Without it, its content is. */
  name?: string;
  permissions: string[];
  users: string[];
  groups: string[];
}
export interface Directory {
  domains: DirectoryDomain[];
  users: DirectoryUser[];
  roles: DirectoryRole[];
  bundles: DirectoryBundle[];
}

/** Whether a value could be a directory id; anything else names no one, without a read. */
export function isDirectoryId(value: string): boolean {
  return DIRECTORY_ID_PATTERN.test(value);
}

export const ROLE_PERMISSION = 'access_token.manage';
/** About 10,000 groups of 30 characters. */
export const MAX_USER_BYTES = 300_000;
export const BUNDLE_PERMISSION = 'MANAGE_ACCESS_TOKEN';

export class DirectoryError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid directory:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'DirectoryError';
  }
}

/**
 * A bundle's identity within its domain: its name when it has one, else a hash of its
 * content (so an unnamed bundle that changes is another bundle: see `mergeDirectories`).
 * A hash is base64url and so never contains the `:` a name's key starts with.
 */
export function bundleKey(bundle: DirectoryBundle): string {
  if (bundle.name !== undefined) return `name:${bundle.name}`;
  const canonical = JSON.stringify([
    [...bundle.permissions].sort(),
    [...bundle.users].sort(),
    [...bundle.groups].sort(),
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

function duplicates(values: string[]): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const value of values) (seen.has(value) ? repeated : seen).add(value);
  return repeated;
}

/**
 * Checks what a schema cannot: duplicate ids and references to domains and users that
 * do not exist (in the file, or among `known` ids). Problems name entries by their
 * place in the file. Groups are not declared entities, so a group no user belongs to is
 * allowed (a grant can be prepared before its members are added).
 */
export function checkDirectory(
  directory: Directory,
  /** Ids already stored that references may also point at (an upsert into a directory). */
  known: { domains?: Iterable<string>; users?: Iterable<string> } = {},
): void {
  const problems: string[] = [];
  const domainIds = new Set([...directory.domains.map((d) => d.id), ...(known.domains ?? [])]);
  const userIds = new Set([...directory.users.map((u) => u.id), ...(known.users ?? [])]);

  const firstSeen = new Map<string, number>();
  const reportDuplicates = (list: string, keyOf: (index: number) => string, count: number, what: string) => {
    firstSeen.clear();
    for (let i = 0; i < count; i++) {
      const key = keyOf(i);
      const first = firstSeen.get(key);
      if (first === undefined) firstSeen.set(key, i);
      else problems.push(`${list}[${i}]: duplicate ${what} (first at ${list}[${first}])`);
    }
  };
  reportDuplicates('domains', (i) => directory.domains[i]!.id, directory.domains.length, 'domain id');
  reportDuplicates('users', (i) => directory.users[i]!.id, directory.users.length, 'user id');
  reportDuplicates(
    'roles',
    (i) => `${directory.roles[i]!.domain}\u0000${directory.roles[i]!.name}`,
    directory.roles.length,
    'role (same domain and name)',
  );
  reportDuplicates(
    'bundles',
    (i) => `${directory.bundles[i]!.domain}\u0000${bundleKey(directory.bundles[i]!)}`,
    directory.bundles.length,
    'bundle (same domain, and same name or, unnamed, same content)',
  );

  const listDuplicates = (where: string, values: string[], what: string) => {
    for (const value of duplicates(values)) problems.push(`${where}: "${value}" is listed twice in ${what}`);
  };
  directory.users.forEach((user, i) => {
    user.domains.forEach((domain, j) => {
      if (!domainIds.has(domain)) problems.push(`users[${i}].domains[${j}]: unknown domain "${domain}"`);
    });
    listDuplicates(`users[${i}]`, user.domains, 'domains');
    listDuplicates(`users[${i}]`, user.groups, 'groups');
    listDuplicates(`users[${i}]`, user.adminRoles, 'adminRoles');
    // A user is one table item (DynamoDB's limit is 400 KB); leave room for derived fields.
    const size = JSON.stringify(user).length;
    if (size > MAX_USER_BYTES)
      problems.push(`users[${i}]: too large (${size} bytes of ids; at most ${MAX_USER_BYTES})`);
  });
  const checkGrant = (
    list: 'roles' | 'bundles',
    grant: { domain: string; users: string[]; groups: string[]; permissions: string[] },
    i: number,
  ) => {
    if (!domainIds.has(grant.domain)) problems.push(`${list}[${i}].domain: unknown domain "${grant.domain}"`);
    grant.users.forEach((user, j) => {
      if (!userIds.has(user)) problems.push(`${list}[${i}].users[${j}]: unknown user "${user}"`);
    });
    listDuplicates(`${list}[${i}]`, grant.users, 'users');
    listDuplicates(`${list}[${i}]`, grant.groups, 'groups');
    listDuplicates(`${list}[${i}]`, grant.permissions, 'permissions');
  };
  directory.roles.forEach((role, i) => checkGrant('roles', role, i));
  directory.bundles.forEach((bundle, i) => checkGrant('bundles', bundle, i));

  if (problems.length > 0) throw new DirectoryError(problems);
}

/**
 * Who may manage tokens in which domain, under each domain's model (docs/directory.md, "Who may manage tokens"):
 * `ROLE_V1` counts roles holding `access_token.manage`, `BUNDLE_V2` counts bundles
 * holding `MANAGE_ACCESS_TOKEN`. Either is held directly or through a group; a grant
 * of the other model's kind counts for nothing.
 */
export function tokenManagers(directory: Directory): Map<string, Set<string>> {
  const membersOf = new Map<string, string[]>();
  for (const user of directory.users) {
    for (const group of user.groups) membersOf.set(group, [...(membersOf.get(group) ?? []), user.id]);
  }
  const modelOf = new Map(directory.domains.map((d) => [d.id, d.authorization]));
  const managers = new Map<string, Set<string>>();
  const grant = (domain: string, holder: { users: string[]; groups: string[] }) => {
    const set = managers.get(domain) ?? new Set<string>();
    holder.users.forEach((user) => set.add(user));
    holder.groups.forEach((group) => (membersOf.get(group) ?? []).forEach((user) => set.add(user)));
    managers.set(domain, set);
  };
  for (const role of directory.roles) {
    if (modelOf.get(role.domain) === 'ROLE_V1' && role.permissions.includes(ROLE_PERMISSION)) grant(role.domain, role);
  }
  for (const bundle of directory.bundles) {
    if (modelOf.get(bundle.domain) === 'BUNDLE_V2' && bundle.permissions.includes(BUNDLE_PERMISSION))
      grant(bundle.domain, bundle);
  }
  return managers;
}

/** The domains whose grants a file states: those it declares, and those it has a role or bundle for. */
export function domainsMentioned(directory: Directory): Set<string> {
  return new Set([
    ...directory.domains.map((d) => d.id),
    ...directory.roles.map((r) => r.domain),
    ...directory.bundles.map((b) => b.domain),
  ]);
}

/**
 * Upsert: domains and users of `update` replace same-id entries of `base`, the rest of
 * `base` stays. Grants are stated per domain: for every domain `update` mentions, its
 * roles and bundles are exactly those of `update` (a grant left out of the file is gone,
 * with or without --replace); domains it does not mention keep theirs.
 */
export function mergeDirectories(base: Directory, update: Directory): Directory {
  const merge = <T>(a: T[], b: T[], keyOf: (item: T) => string): T[] => {
    const byKey = new Map(a.map((item) => [keyOf(item), item]));
    for (const item of b) byKey.set(keyOf(item), item);
    return [...byKey.values()];
  };
  const stated = domainsMentioned(update);
  return {
    domains: merge(base.domains, update.domains, (d) => d.id),
    users: merge(base.users, update.users, (u) => u.id),
    roles: [...base.roles.filter((r) => !stated.has(r.domain)), ...update.roles],
    bundles: [...base.bundles.filter((b) => !stated.has(b.domain)), ...update.bundles],
  };
}
