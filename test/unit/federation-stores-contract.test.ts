import { MemoryTokenEvents } from '../../shared/audit/memory-event-store.js';
import { MemoryExchangeRecords } from '../../shared/federation/memory-exchange-records.js';
import { MemoryPolicyStore } from '../../shared/federation/memory-policy-store.js';
import { MemoryCredentialStore } from '../../shared/tokens/memory-credential-store.js';
import { type MemoryAccount, MemoryTokenTable } from '../../shared/tokens/memory-token-table.js';
import { MemoryTokenStore } from '../../shared/tokens/memory-token-store.js';
import { FEDERATION_CONTRACT_CEILING, federationStoresContract } from '../support/contracts/federation-stores.js';

/** Federation's stores' contract on the in-memory adapters (its DynamoDB half is in test/integration/). */
federationStoresContract('in memory', async () => {
  const accounts = new Map<string, MemoryAccount>([
    ['sa-etl', { type: 'SERVICE_ACCOUNT', incarnation: 'mf0a1b2c3d4e5f6g7h8i9' }],
    ['root', { type: 'USER' }],
  ]);
  const table = new MemoryTokenTable((id) => accounts.get(id));
  const policies = new MemoryPolicyStore(table, { rateLimitedMax: FEDERATION_CONTRACT_CEILING });
  return {
    policies,
    exchanges: new MemoryExchangeRecords(table, policies),
    tokens: new MemoryTokenStore(table, { rateLimitedMax: FEDERATION_CONTRACT_CEILING }),
    credentials: new MemoryCredentialStore(table),
    events: new MemoryTokenEvents(table),
    account: { id: 'sa-etl', incarnation: accounts.get('sa-etl')?.incarnation },
    user: 'root',
    retire: async (accountId) => {
      const account = accounts.get(accountId);
      if (account) accounts.set(accountId, { ...account, retiring: true });
    },
    rekey: async (policy, key) => {
      const stored = policies.policy(policy.serviceAccountId, policy.policyId);
      if (stored) policies.setPolicy({ ...stored, ...key });
    },
    leavePending: async (policy) => {
      const stored = policies.policy(policy.serviceAccountId, policy.policyId);
      if (stored) policies.setPolicy({ ...stored, pendingSince: '2020-01-01T00:00:00.000Z' });
    },
  };
});
