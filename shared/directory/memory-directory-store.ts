import { DEFAULT_AUDIT_RETENTION_DAYS } from '../dynamodb/event-items.js';
import { isDirectoryItem, type ItemKey, keys, prefixes } from '../dynamodb/keys.js';
import type { ListedUser, Member, Principal } from '../kernel/model.js';
import type { MemoryAccount } from '../tokens/memory-token-table.js';
import { type Directory, isDirectoryId } from './directory.js';
import { directoryWrite } from './directory-diff.js';
import { type DirectoryItem, directoryFromItems, itemKey, principalOf } from './directory-items.js';
import { listMembers, listUsers, member, type PageReader } from './directory-listing.js';
import { endedIncarnation, incarnationsOf, pastPrincipal } from './incarnation-items.js';
import { type Incarnation, incarnationName, isIncarnationName } from './incarnations.js';
import type { DirectoryPage, DirectorySnapshot, DirectoryStore, DirectoryWriteResult } from './ports.js';

/**
 * The directory in memory: the fast tier's stand-in for DynamoDirectoryStore
 * (test/support/contracts/directory-store.ts holds the two to one behaviour). It keeps
 * the same items the import writes to the table (directory-items.ts) and the records of
 * incarnations, keyed as there, and shares the store's rules: which items a new directory
 * writes (directory-diff.ts), the listings' pages and cursors (directory-listing.ts), and
 * the incarnations (incarnation-items.ts). Only the reads and writes of items are its own.
 */
export class MemoryDirectoryStore implements DirectoryStore {
  private readonly items = new Map<string, DirectoryItem>();

  constructor(
    private readonly options: {
      /** Accounts whose token counter exists (on the table, their counter items). */
      tokenHolders?: () => string[];
      auditRetentionDays?: number;
    } = {},
  ) {}

  private item(key: ItemKey): DirectoryItem | undefined {
    const found = this.items.get(itemKey(key));
    return found && structuredClone(found);
  }

  private put(item: DirectoryItem): void {
    this.items.set(itemKey(item), structuredClone(item));
  }

  /** A partition's items whose sort keys start with `prefix`, after `after`, in sort key order, as a query reads. */
  private readonly pages: PageReader = async ({ pk, prefix, after, limit }) => {
    const items = [...this.items.values()]
      .filter((item) => item.pk === pk && item.sk.startsWith(prefix))
      .filter((item) => after === undefined || Buffer.compare(Buffer.from(item.sk), Buffer.from(after.sk)) > 0)
      .sort((a, b) => Buffer.compare(Buffer.from(a.sk), Buffer.from(b.sk)))
      .slice(0, limit + 1)
      .map((item) => structuredClone(item));
    return { items: items.slice(0, limit), more: items.length > limit };
  };

  /** What a create's account check reads of an account's profile (the in-memory token table's accounts). */
  account(accountId: string): MemoryAccount | undefined {
    const profile = this.items.get(itemKey(keys.profile(accountId)));
    if (!profile) return undefined;
    return {
      type: profile.type as MemoryAccount['type'],
      ...(typeof profile.incarnation === 'string' ? { incarnation: profile.incarnation } : {}),
      ...(profile.retiring === true ? { retiring: true } : {}),
    };
  }

  async getPrincipal(userId: string): Promise<Principal | undefined> {
    if (!isDirectoryId(userId)) return undefined;
    const item = this.item(keys.profile(userId));
    return item && principalOf(userId, item);
  }

  async getIncarnation(accountId: string, incarnation: string): Promise<Principal | undefined> {
    if (!isDirectoryId(accountId) || !isIncarnationName(incarnation)) return undefined;
    const current = await this.getPrincipal(accountId);
    if (current?.type === 'SERVICE_ACCOUNT' && incarnationName(current.incarnation) === incarnation) return current;
    const record = this.item(keys.incarnation(accountId, incarnation));
    return record ? pastPrincipal(accountId, record) : undefined;
  }

  async listIncarnations(accountId: string): Promise<Incarnation[]> {
    if (!isDirectoryId(accountId)) return [];
    const { pk } = keys.incarnation(accountId, '');
    const records = [...this.items.values()].filter(
      (item) => item.pk === pk && item.sk.startsWith(prefixes.incarnation),
    );
    return incarnationsOf(records, await this.getPrincipal(accountId));
  }

  listMembers(domain: string, limit: number, afterId?: string, startsWith?: string): Promise<DirectoryPage<Member>> {
    return listMembers(this.pages, domain, limit, afterId, startsWith);
  }

  async getMember(domain: string, userId: string): Promise<Member | undefined> {
    if (!isDirectoryId(userId)) return undefined;
    const item = this.item(keys.member(domain, userId));
    return item && member(item);
  }

  listUsers(limit: number, afterId?: string, startsWith?: string): Promise<DirectoryPage<ListedUser>> {
    return listUsers(this.pages, limit, afterId, startsWith);
  }

  async snapshot(): Promise<DirectorySnapshot> {
    const items = [...this.items.values()].filter(isDirectoryItem).map((item) => structuredClone(item));
    return {
      directory: directoryFromItems(items),
      tokenHolders: this.options.tokenHolders?.() ?? [],
      retiring: items.filter((item) => item.entity === 'USER' && item.retiring === true).map((item) => String(item.id)),
      write: async (target) => this.write(items, target),
    };
  }

  async retire(userId: string): Promise<void> {
    const profile = this.item(keys.profile(userId));
    if (!profile) return;
    this.put({ ...profile, retiring: true });
    const { key, set, setIfAbsent } = endedIncarnation(
      profile,
      new Date(),
      this.options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS,
    );
    this.put({ ...key, ...setIfAbsent, ...this.item(key), ...set });
  }

  /** In DynamoDirectoryStore's order: what it takes away, the new incarnations, then what it adds. */
  private write(stored: DirectoryItem[], target: Directory): DirectoryWriteResult {
    const { removed, changed, added, started, result } = directoryWrite(stored, target, new Date());
    for (const item of [...removed, ...changed]) this.items.delete(itemKey(item));
    for (const item of [...started, ...changed, ...added]) this.put(item);
    return result;
  }
}
