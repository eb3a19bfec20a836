import { lifecycleShards } from '../dynamodb/keys.js';
import type { TokenEvent } from '../kernel/events.js';
import { unusedSuspension } from '../lifecycle/lifecycle-store.js';
import type { DueNotice, IdleToken, LifecycleReads, TokenLifecycle } from '../lifecycle/ports.js';
import {
  type LifecycleAttributes,
  MemoryTransactionCancelled,
  type MemoryTokenTable,
  type MemoryWrite,
} from './memory-token-table.js';
import type { StoredToken } from './ports.js';

type Entry = { token: StoredToken; attributes: LifecycleAttributes };

/**
 * The lifecycle job's side of the token table in memory: the fast tier's stand-in for
 * DynamoTokenLifecycle (test/support/contracts/token-lifecycle.ts holds the two to one
 * behaviour). It reads the attributes the token stores keep for the job's two indexes
 * (memory-token-table.ts), and writes each change with its event all or nothing, on
 * condition that the token is as the index showed it. It lives with the token table, as
 * the lifecycle folder sits below the tokens one.
 */
export class MemoryTokenLifecycle implements TokenLifecycle {
  readonly reads: LifecycleReads = { queries: 0, items: 0, capacityUnits: 0 };

  constructor(private readonly table: MemoryTokenTable) {}

  /**
   * The entries of one index whose sort key passes `bound`, by it, as DynamoDB's queries
   * return them: one query per shard (no read capacity is counted here: there is none).
   */
  private index(field: 'noticeAt' | 'activeDay', bound: (value: string) => boolean): Entry[] {
    this.reads.queries += lifecycleShards().length;
    const entries = this.table
      .lifecycleEntries()
      .filter(({ attributes }) => attributes.lifecycleShard !== undefined)
      .filter(({ attributes }) => attributes[field] !== undefined && bound(attributes[field]))
      .sort((a, b) => (a.attributes[field]! < b.attributes[field]! ? -1 : 1));
    this.reads.items += entries.length;
    return entries;
  }

  async *dueNotices(now: Date): AsyncIterable<DueNotice> {
    const at = now.toISOString();
    for (const { token, attributes } of this.index('noticeAt', (noticeAt) => noticeAt <= at)) {
      yield { ...about(token), expiresAt: String(token.expiresAt), noticeAt: attributes.noticeAt! };
    }
  }

  async *idleTokens(beforeDay: string): AsyncIterable<IdleToken> {
    for (const { token, attributes } of this.index('activeDay', (day) => day < beforeDay)) {
      yield { ...about(token), status: token.status, activeDay: attributes.activeDay! };
    }
  }

  async recordNotice(due: DueNotice, next: string | undefined, event: TokenEvent): Promise<boolean> {
    const token = this.table.token(due.serviceAccountId, due.name);
    const attributes = this.table.lifecycle(due.serviceAccountId, due.name);
    // The expiry itself is the last notice: the token leaves both indexes.
    const change = next === undefined ? { noticeAt: undefined, activeDay: undefined } : { noticeAt: next };
    return this.once([
      ...this.table.eventWrite(event),
      {
        name: 'token',
        holds: token?.lookupId === due.lookupId && attributes.noticeAt === due.noticeAt,
        write: () => this.table.changeLifecycle(due.serviceAccountId, due.name, change),
      },
    ]);
  }

  async suspendIdle(idle: IdleToken, beforeDay: string, at: string, event: TokenEvent): Promise<boolean> {
    const token = this.table.token(idle.serviceAccountId, idle.name);
    const activeDay = this.table.lifecycle(idle.serviceAccountId, idle.name).activeDay;
    const credential = this.table.credential(idle.lookupId);
    const set = { status: 'SUSPENDED' as const, updatedAt: at };
    return this.once([
      ...this.table.eventWrite(event),
      {
        name: 'token',
        // Still active, still unused since before the cutoff, and usable (not half created).
        holds:
          token?.lookupId === idle.lookupId &&
          token.status === 'ACTIVE' &&
          activeDay !== undefined &&
          activeDay < beforeDay &&
          token.pendingSince === undefined,
        write: () => {
          if (!token) return;
          this.table.setToken({ ...token, ...set, suspension: unusedSuspension(at, event) });
          this.table.changeLifecycle(idle.serviceAccountId, idle.name, { activeDay: undefined });
        },
      },
      {
        name: 'credential',
        holds: credential !== undefined,
        write: () => credential && this.table.setCredential({ ...credential, ...set }),
      },
    ]);
  }

  async forgetIdle(idle: IdleToken): Promise<void> {
    const token = this.table.token(idle.serviceAccountId, idle.name);
    const activeDay = this.table.lifecycle(idle.serviceAccountId, idle.name).activeDay;
    // Reactivated or used meanwhile: it belongs in the index after all.
    if (token?.lookupId !== idle.lookupId || token.status === 'ACTIVE') return;
    if (activeDay === undefined || activeDay > idle.activeDay) return;
    this.table.changeLifecycle(idle.serviceAccountId, idle.name, { activeDay: undefined });
  }

  /** One all-or-nothing write; false when the token's or credential's condition failed. */
  private once(writes: MemoryWrite<string>[]): boolean {
    try {
      this.table.transact(writes);
      return true;
    } catch (error) {
      if (error instanceof MemoryTransactionCancelled && (error.failed.has('token') || error.failed.has('credential')))
        return false;
      throw error;
    }
  }
}

/** The token an index entry names, with the incarnation its event's trail is. */
function about(token: StoredToken) {
  return {
    serviceAccountId: token.serviceAccountId,
    name: token.name,
    lookupId: token.lookupId,
    ...(token.incarnation === undefined ? {} : { incarnation: token.incarnation }),
  };
}
