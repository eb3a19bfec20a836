import type { PresentedCredential } from '../auth/ports.js';
import type { TokenEvent } from '../kernel/events.js';
import type { StoredToken } from './ports.js';

/**
 * The token aggregate's items in memory, for the in-memory adapters (memory-token-store.ts,
 * memory-credential-store.ts) that the fast test tier runs the use cases on. It keeps what
 * the table keeps: a token, its credential, the account's counter, the audit events and the
 * count of tokens with a limit, and
 * writes them as a DynamoDB transaction does: every condition is checked before anything
 * is written, and one that fails writes nothing. A check and its writes run in one
 * synchronous step, so concurrent requests interleave only between steps, as they do
 * between DynamoDB's requests. The port-contract suites hold both adapters to one
 * behaviour (test/support/contracts/).
 */

/** What the account check of a create reads of an account (see dynamodb/account-check.ts). */
export interface MemoryAccount {
  type: 'USER' | 'SERVICE_ACCOUNT';
  incarnation?: string;
  retiring?: boolean;
}

export interface AccountCounter {
  tokenCount: number;
  /** Moves on every create and delete, so a recount can tell that nothing changed meanwhile. */
  version: number;
}

/**
 * The lifecycle attributes of a token item (token-items.ts, `lifecycleFields`): with a
 * shard, it is in the `notices` index while it has a `noticeAt` and in `idle` while it has
 * an `activeDay`; without one (a federated token) it is in neither, whatever it has.
 */
export interface LifecycleAttributes {
  lifecycleShard?: string;
  noticeAt?: string;
  activeDay?: string;
}

/** One item of a transaction: its condition, and its write when every condition holds. */
export interface MemoryWrite<Name extends string> {
  name: Name;
  holds: boolean;
  write: () => void;
}

/** A transaction that wrote nothing, and which of its conditions failed. */
export class MemoryTransactionCancelled<Name extends string = string> extends Error {
  override name = 'MemoryTransactionCancelled';
  constructor(readonly failed: ReadonlySet<Name>) {
    super(`Transaction cancelled: ${[...failed].join(', ')} failed`);
  }
}

/**
 * The value a condition's `equals` compares as DynamoDB does: undefined is an absent
 * attribute, null an absent or NULL one.
 */
export function same(stored: unknown, expected: unknown): boolean {
  if (expected === undefined) return stored === undefined;
  if (expected === null) return stored === undefined || stored === null;
  return stored === expected;
}

/** Whether an attribute holds `null` or is absent, or holds a string earlier than `cutoff` (`< :cutoff`). */
export const nullOrBefore = (value: string | null | undefined, cutoff: string) =>
  value === undefined || value === null || value < cutoff;

export class MemoryTokenTable {
  private readonly tokens = new Map<string, StoredToken>();
  private readonly credentials = new Map<string, PresentedCredential>();
  private readonly lifecycles = new Map<string, LifecycleAttributes>();
  private readonly counters = new Map<string, AccountCounter>();
  private readonly events = new Map<string, TokenEvent>();
  /**
   * Tokens with a limit, each holding a place in the deployment's ceiling (`RATE_LIMITED_MAX`):
   * DynamoDB's count in shards (dynamodb/rate-limit-capacity.ts), here one shard, 0.
   */
  rateLimited = 0;

  /** `accounts` answers the account check, as the directory's profile item does on the table. */
  constructor(private readonly accounts: (accountId: string) => MemoryAccount | undefined = () => undefined) {}

  account(accountId: string): MemoryAccount | undefined {
    return this.accounts(accountId);
  }

  /** A copy: what a caller does with it does not change what is stored, as with an item read. */
  token(accountId: string, name: string): StoredToken | undefined {
    return copy(this.tokens.get(tokenKey(accountId, name)));
  }

  setToken(token: StoredToken): void {
    this.tokens.set(tokenKey(token.serviceAccountId, token.name), copy(token));
  }

  removeToken(accountId: string, name: string): void {
    this.tokens.delete(tokenKey(accountId, name));
    this.lifecycles.delete(tokenKey(accountId, name));
  }

  /** What a token item holds for the lifecycle job's indexes; kept apart, as no token record carries it. */
  lifecycle(accountId: string, name: string): LifecycleAttributes {
    return { ...this.lifecycles.get(tokenKey(accountId, name)) };
  }

  /** Sets (a value) and removes (undefined) lifecycle attributes of a token item, as an update expression does. */
  changeLifecycle(accountId: string, name: string, change: LifecycleAttributes): void {
    const changed: Record<string, string | undefined> = {
      ...this.lifecycles.get(tokenKey(accountId, name)),
      ...change,
    };
    for (const [field, value] of Object.entries(changed)) if (value === undefined) delete changed[field];
    this.lifecycles.set(tokenKey(accountId, name), changed);
  }

  /** Every token item with its lifecycle attributes (the job's indexes hold the ones with a shard). */
  lifecycleEntries(): { token: StoredToken; attributes: LifecycleAttributes }[] {
    return [...this.tokens.entries()].map(([key, token]) => ({
      token: copy(token),
      attributes: { ...this.lifecycles.get(key) },
    }));
  }

  /** An account's tokens in the order of their sort keys: by name, byte by byte. */
  accountTokens(accountId: string): StoredToken[] {
    return [...this.tokens.values()]
      .filter((token) => token.serviceAccountId === accountId)
      .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
      .map(copy);
  }

  credential(lookupId: string): PresentedCredential | undefined {
    return copy(this.credentials.get(lookupId));
  }

  setCredential(credential: PresentedCredential): void {
    this.credentials.set(credential.lookupId, copy(credential));
  }

  removeCredential(lookupId: string): void {
    this.credentials.delete(lookupId);
  }

  counter(accountId: string): AccountCounter | undefined {
    return copy(this.counters.get(accountId));
  }

  /** The accounts whose counter exists: they hold, or held, tokens. */
  counterHolders(): string[] {
    return [...this.counters.keys()];
  }

  setCounter(accountId: string, counter: AccountCounter): void {
    this.counters.set(accountId, counter);
  }

  /** The write of an event, never over another (an event id is unique in its account's trail). */
  eventWrite(event: TokenEvent | undefined): MemoryWrite<'event'>[] {
    if (!event) return [];
    const key = `${event.serviceAccountId}\u0000${event.incarnation ?? ''}\u0000${event.id}`;
    return [{ name: 'event', holds: !this.events.has(key), write: () => this.events.set(key, copy(event)) }];
  }

  /** An account's events (of one incarnation), by id: the order they were made in. */
  accountEvents(accountId: string, incarnation?: string): TokenEvent[] {
    return [...this.events.values()]
      .filter((event) => event.serviceAccountId === accountId && event.incarnation === incarnation)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copy);
  }

  /** Writes all or nothing: throws MemoryTransactionCancelled, naming every failed condition, when one fails. */
  transact<Name extends string>(writes: MemoryWrite<Name>[]): void {
    const failed = new Set(writes.filter((entry) => !entry.holds).map((entry) => entry.name));
    if (failed.size > 0) throw new MemoryTransactionCancelled(failed);
    for (const entry of writes) entry.write();
  }
}

const tokenKey = (accountId: string, name: string) => `${accountId}\u0000${name}`;

function copy<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}
