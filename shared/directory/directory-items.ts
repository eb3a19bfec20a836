import {
  bundleKey,
  type Directory,
  type DirectoryBundle,
  type DirectoryDomain,
  type DirectoryRole,
  type DirectoryUser,
  tokenManagers,
} from './directory.js';
import { keys } from '../dynamodb/keys.js';
import type { Principal, UserType } from '../kernel/model.js';

/** The directory as table items, and back. */

export type DirectoryItem = Record<string, unknown> & { pk: string; sk: string };

export const itemKey = (item: { pk: string; sk: string }) => `${item.pk}\u0000${item.sk}`;

/**
 * Every directory item a directory implies. A user is one item holding all the checks
 * need (type, groups, domains, admin roles, and the domains where they may manage
 * tokens, resolved here from roles, bundles and each domain's model), so a request
 * reads each principal with one `GetItem`, however many groups they are in.
 */
export function directoryItems(directory: Directory): DirectoryItem[] {
  const items: DirectoryItem[] = [];
  const managers = tokenManagers(directory);
  const requiringNetworks = new Set<string>();
  for (const domain of directory.domains) {
    const { id, authorization, requireAllowedCidrs } = domain;
    if (requireAllowedCidrs) requiringNetworks.add(id);
    items.push({
      ...keys.domain(id),
      entity: 'DOMAIN',
      id,
      authorization,
      ...(requireAllowedCidrs ? { requireAllowedCidrs } : {}),
    });
  }
  for (const role of directory.roles) {
    items.push({ ...keys.role(role.domain, role.name), entity: 'ROLE', ...role });
  }
  for (const bundle of directory.bundles) {
    items.push({ ...keys.bundle(bundle.domain, bundleKey(bundle)), entity: 'BUNDLE', ...bundle });
  }
  for (const user of directory.users) {
    items.push({
      ...keys.profile(user.id),
      entity: 'USER',
      id: user.id,
      type: user.type,
      domains: user.domains,
      groups: user.groups,
      adminRoles: user.adminRoles,
      tokenManagerIn: [...managers]
        .filter(([, users]) => users.has(user.id))
        .map(([domain]) => domain)
        .sort(),
      // On the profile every token route reads anyway: a service account requires networks on its new
      // tokens when any of its domains does.
      ...(user.type === 'SERVICE_ACCOUNT' && user.domains.some((domain) => requiringNetworks.has(domain))
        ? { requireAllowedCidrs: true }
        : {}),
    });
    // Listings, so that a page of members or users is one query: the domain's members
    // under the domain, every user under one partition (read by admins only).
    items.push({
      ...keys.listedUser(user.id),
      entity: 'LISTED_USER',
      id: user.id,
      type: user.type,
      groups: user.groups,
      domains: user.domains,
    });
    for (const domain of user.domains) {
      items.push({
        ...keys.member(domain, user.id),
        entity: 'MEMBER',
        id: user.id,
        type: user.type,
        groups: user.groups,
      });
    }
  }
  return items;
}

export function directoryFromItems(items: DirectoryItem[]): Directory {
  const directory: Directory = { domains: [], users: [], roles: [], bundles: [] };
  for (const item of items) {
    switch (item.entity) {
      case 'DOMAIN':
        directory.domains.push({
          id: item.id,
          authorization: item.authorization,
          ...(item.requireAllowedCidrs === true ? { requireAllowedCidrs: true } : {}),
        } as DirectoryDomain);
        break;
      case 'USER':
        directory.users.push({
          id: item.id,
          type: item.type,
          domains: item.domains ?? [],
          groups: item.groups ?? [],
          adminRoles: item.adminRoles ?? [],
        } as DirectoryUser);
        break;
      case 'ROLE':
        directory.roles.push({
          domain: item.domain,
          name: item.name,
          permissions: item.permissions,
          users: item.users,
          groups: item.groups,
        } as DirectoryRole);
        break;
      case 'BUNDLE':
        directory.bundles.push({
          domain: item.domain,
          ...(typeof item.name === 'string' ? { name: item.name } : {}),
          permissions: item.permissions,
          users: item.users,
          groups: item.groups,
        } as DirectoryBundle);
        break;
      default:
        break;
    }
  }
  return directory;
}

/** Everything the checks need about one user, from their profile item. */
export function principalOf(userId: string, item: Record<string, unknown>): Principal {
  return {
    id: userId,
    type: item.type as UserType,
    groups: (item.groups as string[] | undefined) ?? [],
    domains: (item.domains as string[] | undefined) ?? [],
    adminRoles: (item.adminRoles as string[] | undefined) ?? [],
    tokenManagerIn: (item.tokenManagerIn as string[] | undefined) ?? [],
    ...(typeof item.incarnation === 'string' ? { incarnation: item.incarnation } : {}),
    ...(item.requireAllowedCidrs === true ? { requireAllowedCidrs: true } : {}),
  };
}
