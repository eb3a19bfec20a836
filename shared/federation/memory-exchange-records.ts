import type { PresentedCredential } from '../auth/ports.js';
import { ConcurrentUpdateError, PolicyNotFoundError, ServiceAccountNotFoundError } from '../kernel/errors.js';
import type { TokenEvent } from '../kernel/events.js';
import { MemoryTransactionCancelled, type MemoryTokenTable, same } from '../tokens/memory-token-table.js';
import type { NewToken } from '../tokens/ports.js';
import { credentialOf } from '../tokens/token-items.js';
import type { MemoryPolicyStore } from './memory-policy-store.js';
import type { StoredPolicy } from './policy.js';
import type { ExchangeRecords } from './ports.js';

/**
 * What exchanges write, in memory: the fast tier's stand-in for DynamoExchangeRecords (the
 * contract suite in test/support/contracts/federation-stores.ts holds the two to one
 * behaviour). An issued token's items and its event are one all-or-nothing write, on
 * condition that the account is still the policy's and the policy still stands.
 */
export class MemoryExchangeRecords implements ExchangeRecords {
  constructor(
    private readonly table: MemoryTokenTable,
    private readonly policies: MemoryPolicyStore,
  ) {}

  async issue(token: NewToken, policy: StoredPolicy, event: TokenEvent): Promise<void> {
    const { record, secretHash, binding } = token;
    const accountId = policy.serviceAccountId;
    const account = this.table.account(accountId);
    const standing = this.policies.policy(accountId, policy.policyId);
    const credential: PresentedCredential = {
      ...credentialOf(record, secretHash),
      lastUsedAt: null,
      ...binding,
    };
    try {
      // Not counted in the account's token limit, and no place in the capacity: the policy holds one.
      this.table.transact([
        ...this.table.eventWrite(event),
        {
          name: 'token',
          holds: !this.table.token(record.serviceAccountId, record.name),
          write: () => this.table.setToken({ ...record, ...binding }),
        },
        {
          name: 'credential',
          holds: !this.table.credential(record.lookupId),
          write: () => this.table.setCredential(credential),
        },
        {
          name: 'account',
          holds:
            account?.type === 'SERVICE_ACCOUNT' &&
            account.retiring !== true &&
            same(account.incarnation, policy.incarnation),
          write: () => {},
        },
        // Not on its key: the key worker may bind it meanwhile, and the token then presents
        // its tier's pooled key instead, which is as safe.
        { name: 'policy', holds: standing !== undefined && standing.pendingSince === undefined, write: () => {} },
      ]);
    } catch (error) {
      if (!(error instanceof MemoryTransactionCancelled)) throw error;
      if (error.failed.has('account')) throw new ServiceAccountNotFoundError();
      if (error.failed.has('policy')) throw new PolicyNotFoundError();
      throw new ConcurrentUpdateError({ cause: error });
    }
  }

  async refused(event: TokenEvent): Promise<void> {
    this.table.transact(this.table.eventWrite(event));
  }
}
