import {
  ConcurrentUpdateError,
  PolicyLimitReachedError,
  PolicyNotFoundError,
  RateLimitCapacityReachedError,
  ServiceAccountNotFoundError,
} from '../kernel/errors.js';
import type { TokenEvent } from '../kernel/events.js';
import {
  MemoryTransactionCancelled,
  type MemoryTokenTable,
  type MemoryWrite,
  same,
} from '../tokens/memory-token-table.js';
import type { StoredPolicy } from './policy.js';
import { toStoredPolicy } from './policy-store.js';
import type { PolicyStore } from './ports.js';

/**
 * The policy store in memory: the fast tier's stand-in for DynamoPolicyStore, with its
 * conditions and its answers to a lost race (test/support/contracts/federation-stores.ts
 * holds the two to one behaviour). Policies live beside the token table whose accounts,
 * audit events and capacity of limited tokens and policies they share, and each change is
 * one all-or-nothing write (memory-token-table.ts).
 */
export class MemoryPolicyStore implements PolicyStore {
  private readonly policies = new Map<string, Record<string, unknown>>();
  private readonly counts = new Map<string, number>();

  /** `rateLimitedMax`: the deployment's ceiling of tokens and policies with a limit, as DynamoPolicyStore's. */
  constructor(
    readonly table: MemoryTokenTable,
    private readonly options: { rateLimitedMax?: number } = {},
  ) {}

  private get ceiling(): number {
    return this.options.rateLimitedMax ?? 8_000;
  }

  /** A policy as an item read gives it (a copy), or undefined. */
  policy(accountId: string, policyId: string): StoredPolicy | undefined {
    const item = this.policies.get(policyKey(accountId, policyId));
    return item === undefined ? undefined : toStoredPolicy(structuredClone(item));
  }

  /** Writes a policy's item as it is: for another writer of the table (the key worker, an older version). */
  setPolicy(policy: StoredPolicy): void {
    this.policies.set(policyKey(policy.serviceAccountId, policy.policyId), structuredClone({ ...policy }));
  }

  async create(policy: StoredPolicy, limit: number, event: TokenEvent): Promise<void> {
    const accountId = policy.serviceAccountId;
    const account = this.table.account(accountId);
    const count = this.counts.get(accountId) ?? 0;
    // A policy with a limit takes a place in the capacity in the same write (one shard here, 0).
    const takes = policy.maxRps !== null;
    const open =
      account?.type === 'SERVICE_ACCOUNT' && account.retiring !== true && same(account.incarnation, policy.incarnation);
    const writes: MemoryWrite<string>[] = [
      ...this.table.eventWrite(event),
      {
        name: 'policy',
        holds: this.policy(accountId, policy.policyId) === undefined,
        write: () => this.setPolicy({ ...policy, ...(takes ? { capacityShard: 0 } : {}) }),
      },
      { name: 'account', holds: open, write: () => {} },
      { name: 'counter', holds: count < limit, write: () => this.counts.set(accountId, count + 1) },
      ...(takes
        ? [{ name: 'capacity', holds: this.table.rateLimited < this.ceiling, write: () => this.table.rateLimited++ }]
        : []),
    ];
    try {
      this.table.transact(writes);
    } catch (error) {
      if (!(error instanceof MemoryTransactionCancelled)) throw error;
      if (error.failed.has('account')) throw new ServiceAccountNotFoundError();
      if (error.failed.has('counter')) throw new PolicyLimitReachedError(limit);
      if (error.failed.has('capacity')) throw new RateLimitCapacityReachedError(this.ceiling);
      throw new ConcurrentUpdateError({ cause: error });
    }
  }

  async list(accountId: string): Promise<StoredPolicy[]> {
    // By sort key (POLICY#<id>): by id, byte by byte.
    return [...this.policies.values()]
      .filter((item) => item.serviceAccountId === accountId)
      .map((item) => toStoredPolicy(structuredClone(item)))
      .sort((a, b) => Buffer.compare(Buffer.from(a.policyId), Buffer.from(b.policyId)));
  }

  async get(accountId: string, policyId: string): Promise<StoredPolicy | undefined> {
    return this.policy(accountId, policyId);
  }

  async delete(policy: StoredPolicy, event?: TokenEvent): Promise<void> {
    const { serviceAccountId: accountId, policyId } = policy;
    const current = this.policy(accountId, policyId);
    const writes: MemoryWrite<string>[] = [
      ...this.table.eventWrite(event),
      {
        name: 'policy',
        // The key read with it is the one deleted: never one the key worker swapped in meanwhile.
        holds: current !== undefined && same(current.apiKeyId, policy.apiKeyId),
        write: () => this.policies.delete(policyKey(accountId, policyId)),
      },
      { name: 'counter', holds: true, write: () => this.counts.set(accountId, (this.counts.get(accountId) ?? 0) - 1) },
      ...(policy.capacityShard === undefined
        ? []
        : [{ name: 'capacity', holds: true, write: () => this.table.rateLimited-- }]),
    ];
    try {
      this.table.transact(writes);
    } catch (error) {
      if (!(error instanceof MemoryTransactionCancelled)) throw error;
      if (error.failed.has('policy') && current === undefined) throw new PolicyNotFoundError();
      throw new ConcurrentUpdateError({ cause: error });
    }
  }
}

const policyKey = (accountId: string, policyId: string) => `${accountId}\u0000${policyId}`;
