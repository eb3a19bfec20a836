import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Principal, UserType } from '../model.js';
import {
  bundleKey,
  checkDirectory,
  type Directory,
  type DirectoryBundle,
  type DirectoryDomain,
  type DirectoryRole,
  type DirectoryUser,
  isDirectoryId,
  mergeDirectories,
  tokenManagers,
} from '../directory/directory.js';
import { keys } from './keys.js';

export interface DirectoryStore {
  /** Everything the checks need about one user, in one strongly consistent read; undefined if unknown. */
  getPrincipal(userId: string): Promise<Principal | undefined>;
}

export interface ImportResult {
  written: number;
  deleted: number;
  unchanged: number;
}

type Item = Record<string, unknown> & { pk: string; sk: string };

const itemKey = (item: { pk: string; sk: string }) => `${item.pk}\u0000${item.sk}`;

/**
 * Every directory item a directory implies. A user is one item holding all the checks
 * need (type, groups, domains, admin roles, and the domains where they may manage
 * tokens, resolved here from roles, bundles and each domain's model), so a request
 * reads each principal with one `GetItem`, however many groups they are in.
 */
export function directoryItems(directory: Directory): Item[] {
  const items: Item[] = [];
  const managers = tokenManagers(directory);
  for (const domain of directory.domains) {
    items.push({ ...keys.domain(domain.id), entity: 'DOMAIN', id: domain.id, authorization: domain.authorization });
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
      tokenManagerIn: [...managers].filter(([, users]) => users.has(user.id)).map(([domain]) => domain).sort(),
    });
  }
  return items;
}

function isDirectoryItem(item: { pk: string }): boolean {
  return item.pk.startsWith('USER#') || item.pk.startsWith('DOMAIN#');
}

function directoryFromItems(items: Item[]): Directory {
  const directory: Directory = { domains: [], users: [], roles: [], bundles: [] };
  for (const item of items) {
    switch (item.entity) {
      case 'DOMAIN':
        directory.domains.push({ id: item.id, authorization: item.authorization } as DirectoryDomain);
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

export class DynamoDirectoryStore implements DirectoryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getPrincipal(userId: string): Promise<Principal | undefined> {
    // A JWT subject or path segment no directory entry can have (too long for a key, say).
    if (!isDirectoryId(userId)) return undefined;
    const { Item: item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.profile(userId),
        ProjectionExpression: '#type, groups, domains, adminRoles, tokenManagerIn',
        ExpressionAttributeNames: { '#type': 'type' },
        ConsistentRead: true,
      }),
    );
    if (!item) return undefined;
    return {
      id: userId,
      type: item.type as UserType,
      groups: (item.groups as string[] | undefined) ?? [],
      domains: (item.domains as string[] | undefined) ?? [],
      adminRoles: (item.adminRoles as string[] | undefined) ?? [],
      tokenManagerIn: (item.tokenManagerIn as string[] | undefined) ?? [],
    };
  }

  /** All directory items now stored (an admin operation: a paginated scan). */
  private async storedItems(): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(pk, :user) OR begins_with(pk, :domain)',
          ExpressionAttributeValues: { ':user': 'USER#', ':domain': 'DOMAIN#' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((page.Items ?? []) as Item[]).filter(isDirectoryItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /**
   * Imports a checked directory. Upsert by default: entries in the file replace stored
   * entries with the same id, others stay. With `replace`, what the file does not hold is
   * removed. Derived items (memberships, who manages tokens where) are recomputed for
   * the whole merged directory, so a grant never outlives the role or group behind it.
   * Token items are never touched. Writing is idempotent: a failed import can be re-run.
   */
  async importDirectory(file: Directory, options: { replace: boolean }): Promise<ImportResult> {
    const stored = await this.storedItems();
    const current = directoryFromItems(stored);
    checkDirectory(
      file,
      options.replace ? {} : { domains: current.domains.map((d) => d.id), users: current.users.map((u) => u.id) },
    );
    const target = options.replace ? file : mergeDirectories(current, file);
    const desired = directoryItems(target);
    const storedByKey = new Map(stored.map((item) => [itemKey(item), item]));
    const desiredKeys = new Set(desired.map(itemKey));
    const changed = desired.filter((item) => {
      const current = storedByKey.get(itemKey(item));
      return current !== undefined && JSON.stringify(sortKeys(current)) !== JSON.stringify(sortKeys(item));
    });
    const added = desired.filter((item) => !storedByKey.has(itemKey(item)));
    const removed = stored.filter((item) => !desiredKeys.has(itemKey(item)));
    // Every item grants something (a membership, a grant, a profile), so the import
    // never passes through a state that grants more than both directories: first it takes
    // away (removed items, and the old version of changed ones), leaving a subset of the
    // old directory; then it adds, leaving a subset of the new one until it is whole.
    // Meanwhile it fails closed: a changed user is briefly unknown.
    await this.batchWrite([...removed, ...changed].map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })));
    await this.batchWrite([...changed, ...added].map((item) => ({ PutRequest: { Item: item } })));
    return { written: changed.length + added.length, deleted: removed.length, unchanged: desired.length - changed.length - added.length };
  }

  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += 25) {
      let pending: Record<string, unknown>[] | undefined = requests.slice(i, i + 25);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB kept items unprocessed; re-run the import (it is idempotent)');
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending as never } }));
        pending = result.UnprocessedItems?.[this.tableName] as Record<string, unknown>[] | undefined;
      }
    }
  }
}

function sortKeys(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)));
}
