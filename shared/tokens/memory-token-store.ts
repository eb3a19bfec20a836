import type { PresentedCredential } from '../auth/ports.js';
import {
  ConcurrentUpdateError,
  RateLimitCapacityReachedError,
  ServiceAccountNotFoundError,
  TokenLimitReachedError,
  TokenNameTakenError,
  TokenNotFoundError,
} from '../kernel/errors.js';
import type { TokenEvent } from '../kernel/events.js';
import { restrictionsOf } from '../kernel/restrictions.js';
import { MemoryTransactionCancelled, type MemoryTokenTable, type MemoryWrite, same } from './memory-token-table.js';
import type { NewToken, StoredToken, TokenChanges, TokenPage, TokenStore } from './ports.js';
import {
  changedToken,
  credentialOf,
  lifecycleFields,
  SHARED_FIELDS,
  tokenItemChange,
  withoutBinding,
} from './token-items.js';

type Fields = Record<string, unknown>;

/**
 * The token store in memory: the fast tier's stand-in for DynamoTokenStore, with its
 * conditions and its answers to a lost race (the port-contract suite holds the two to one
 * behaviour). Each change is one all-or-nothing write of the token, its credential, the
 * account's counter and the change's event (memory-token-table.ts).
 */
export class MemoryTokenStore implements TokenStore {
  /** `rateLimitedMax`: the deployment's ceiling of tokens with a limit, as DynamoTokenStore's option. */
  constructor(
    readonly table: MemoryTokenTable,
    private readonly options: { rateLimitedMax?: number } = {},
  ) {}

  private get ceiling(): number {
    return this.options.rateLimitedMax ?? 8_000;
  }

  /** The capacity's part of a write taking (1) or giving back (-1) a place; at the ceiling a take fails. */
  private place(delta: 1 | -1): MemoryWrite<'capacity'>[] {
    const room = delta < 0 || this.table.rateLimited < this.ceiling;
    return [{ name: 'capacity', holds: room, write: () => (this.table.rateLimited += delta) }];
  }

  async create(token: NewToken, limit: number, event?: TokenEvent): Promise<void> {
    const { record, secretHash, binding } = token;
    const accountId = record.serviceAccountId;
    const account = this.table.account(accountId);
    const counter = this.table.counter(accountId);
    // A token with a limit takes a place in the capacity in the same write (a federated one's is its policy's).
    const takes = record.maxRps !== null && !record.federation;
    const extra = definedOnly(binding ?? {});
    const credential: PresentedCredential = {
      ...credentialOf(record, secretHash),
      lastUsedAt: null,
      ...extra,
    };
    const open =
      account?.type === 'SERVICE_ACCOUNT' && account.retiring !== true && same(account.incarnation, record.incarnation);
    const writes = [
      ...this.table.eventWrite(event),
      {
        name: 'token',
        holds: !this.table.token(accountId, record.name),
        write: () => {
          this.table.setToken({ ...record, ...extra, ...(takes ? { capacityShard: 0 } : {}) });
          this.table.changeLifecycle(accountId, record.name, lifecycleFields(record));
        },
      },
      {
        name: 'credential',
        holds: !this.table.credential(record.lookupId),
        write: () => this.table.setCredential(credential),
      },
      { name: 'account', holds: open, write: () => {} },
      ...(takes ? this.place(1) : []),
      {
        name: 'counter',
        holds: counter === undefined || counter.tokenCount < limit,
        write: () =>
          this.table.setCounter(accountId, {
            tokenCount: (counter?.tokenCount ?? 0) + 1,
            version: (counter?.version ?? 0) + 1,
          }),
      },
    ];
    try {
      this.table.transact(writes);
    } catch (error) {
      if (!(error instanceof MemoryTransactionCancelled)) throw error;
      if (error.failed.has('capacity')) throw new RateLimitCapacityReachedError(this.ceiling);
      if (error.failed.has('account')) throw new ServiceAccountNotFoundError();
      if (error.failed.has('token')) throw new TokenNameTakenError();
      if (error.failed.has('counter')) throw new TokenLimitReachedError(limit);
      throw new ConcurrentUpdateError({ cause: error });
    }
  }

  async list(accountId: string, limit: number, afterName?: string): Promise<TokenPage> {
    const after = afterName === undefined ? undefined : Buffer.from(afterName);
    const tokens = this.table
      .accountTokens(accountId)
      .filter((token) => after === undefined || Buffer.compare(Buffer.from(token.name), after) > 0)
      .slice(0, limit + 1)
      .map((token) => withoutBinding(asRead(token)));
    return { tokens: tokens.slice(0, limit), lastName: tokens.length > limit ? tokens[limit - 1]?.name : undefined };
  }

  async get(accountId: string, name: string): Promise<StoredToken | undefined> {
    const token = this.table.token(accountId, name);
    return token && asRead(token);
  }

  async update(
    current: StoredToken,
    changes: TokenChanges,
    updatedAt: string,
    event?: TokenEvent,
  ): Promise<StoredToken> {
    const next = changedToken(current, changes, updatedAt);
    // A limit set takes a place in the capacity, a limit removed gives its place back.
    const takes = !current.federation && current.maxRps === null && next.maxRps !== null;
    const gives = next.maxRps === null && current.capacityShard !== undefined;
    if (takes) next.capacityShard = 0;
    if (gives) delete next.capacityShard;
    const set: Fields = { updatedAt };
    const remove: string[] = [];
    for (const field of SHARED_FIELDS) {
      if (next[field] === current[field]) continue;
      if (next[field] === undefined) remove.push(field);
      else set[field] = next[field];
    }
    const change = <T extends object>(item: T): T => {
      const changed: Fields = { ...item, ...set };
      for (const field of remove) delete changed[field];
      return changed as T;
    };
    const asRead = (item: Partial<StoredToken>) =>
      !changes.onlyIfUnchanged || (same(item.status, current.status) && same(item.maxRps, current.maxRps));
    const token = (item: StoredToken): StoredToken => {
      const { capacityShard: _, ...changed } = withSuspension(change(item), changes.suspension);
      return next.capacityShard === undefined ? changed : { ...changed, capacityShard: next.capacityShard };
    };
    // In or out of the idle index with its status, as DynamoTokenStore's token item.
    const idle = tokenItemChange(current.status, next.status, updatedAt, { set: {}, remove: [] }, undefined);
    const stored = this.table.token(current.serviceAccountId, current.name);
    const credential = this.table.credential(current.lookupId);
    try {
      this.table.transact([
        ...this.table.eventWrite(event),
        {
          name: 'token',
          // With `onlyIfUnchanged`, nothing on the token item may have changed since the read (its `updatedAt`).
          holds:
            stored !== undefined &&
            same(stored.lookupId, current.lookupId) &&
            asRead(stored) &&
            (!changes.onlyIfUnchanged || stored.updatedAt === current.updatedAt),
          // Why it is suspended is the token item's alone (DynamoTokenStore: tokenItemChange).
          write: () => {
            if (!stored) return;
            this.table.setToken(token(stored));
            const removed = Object.fromEntries(idle.remove.map((field) => [field, undefined]));
            this.table.changeLifecycle(current.serviceAccountId, current.name, { ...idle.set, ...removed });
          },
        },
        {
          name: 'credential',
          holds: credential !== undefined && asRead(credential),
          write: () => credential && this.table.setCredential(change(credential)),
        },
        ...(takes ? this.place(1) : gives ? this.place(-1) : []),
      ]);
    } catch (error) {
      if (error instanceof MemoryTransactionCancelled && error.failed.has('capacity'))
        throw new RateLimitCapacityReachedError(this.ceiling);
      return this.lostRace(current, error);
    }
    return next;
  }

  async delete(current: StoredToken, event?: TokenEvent): Promise<void> {
    const stored = this.table.token(current.serviceAccountId, current.name);
    const counter = this.table.counter(current.serviceAccountId);
    const asRead = same(stored?.lookupId, current.lookupId) && same(stored?.apiKeyId, current.apiKeyId);
    try {
      this.table.transact([
        ...this.table.eventWrite(event),
        {
          name: 'token',
          holds: stored !== undefined && asRead,
          write: () => this.table.removeToken(current.serviceAccountId, current.name),
        },
        { name: 'credential', holds: true, write: () => this.table.removeCredential(current.lookupId) },
        ...(current.capacityShard === undefined ? [] : this.place(-1)),
        // Federated tokens are not counted in the account's limit.
        ...(current.federation
          ? []
          : [
              {
                name: 'counter',
                holds: true,
                write: () =>
                  this.table.setCounter(current.serviceAccountId, {
                    tokenCount: (counter?.tokenCount ?? 0) - 1,
                    version: (counter?.version ?? 0) + 1,
                  }),
              },
            ]),
      ]);
    } catch (error) {
      await this.lostRace(current, error);
    }
  }

  async reconcileCount(accountId: string): Promise<boolean> {
    const counter = this.table.counter(accountId);
    const stored = this.table.accountTokens(accountId).filter((token) => !token.federation).length;
    if (stored >= (counter?.tokenCount ?? 0)) return false;
    const now = this.table.counter(accountId);
    if (!now || now.version !== counter?.version) return false;
    this.table.setCounter(accountId, { ...now, tokenCount: stored });
    return true;
  }

  /** As DynamoTokenStore's: the token went (404), or another request changed it first (409). */
  private async lostRace(current: StoredToken, error: unknown): Promise<never> {
    if (!(error instanceof MemoryTransactionCancelled)) throw error;
    const now = await this.get(current.serviceAccountId, current.name);
    if (!now || now.lookupId !== current.lookupId) throw new TokenNotFoundError();
    throw new ConcurrentUpdateError({ cause: error });
  }
}

function withSuspension(token: StoredToken, suspension: TokenChanges['suspension']): StoredToken {
  if (suspension === undefined) return token;
  const { suspension: _, ...rest } = token;
  return suspension === null ? rest : { ...rest, suspension };
}

/** A token as DynamoTokenStore reads one (toStoredToken): a token older than restrictions has every scope, anywhere. */
function asRead(token: StoredToken): StoredToken {
  return { ...token, ...restrictionsOf(token) };
}

/** The fields that hold a value: a write skips undefined ones, as the document client does. */
function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
