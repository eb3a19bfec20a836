import { expect } from '@jest/globals';
import { MemoryKeyOwners } from '../../shared/ratelimit/memory-key-owners.js';
import { MemoryCredentialStore } from '../../shared/tokens/memory-credential-store.js';
import { type MemoryAccount, MemoryTokenTable } from '../../shared/tokens/memory-token-table.js';
import { MemoryTokenStore } from '../../shared/tokens/memory-token-store.js';
import { type StoredToken, tokenKeyOwner } from '../../shared/tokens/ports.js';
import { CONTRACT_CEILING, tokenStoreContract } from '../support/contracts/token-store.js';

/** The token aggregate's port contract on the in-memory adapters (its DynamoDB half is in test/integration/). */
tokenStoreContract('in memory', async () => {
  const accounts = new Map<string, MemoryAccount>([
    ['sa-etl', { type: 'SERVICE_ACCOUNT', incarnation: 'mf0a1b2c3d4e5f6g7h8i9' }],
    ['sa-reporting', { type: 'SERVICE_ACCOUNT', incarnation: 'mf0a1b2c3d4e5f6g7h8j0' }],
    ['root', { type: 'USER' }],
  ]);
  const table = new MemoryTokenTable((id) => accounts.get(id));
  // Both items, behind the store's back (as another writer of the table does).
  const change = (token: StoredToken, fields: object) => {
    const stored = table.token(token.serviceAccountId, token.name);
    const credential = table.credential(token.lookupId);
    if (stored) table.setToken({ ...stored, ...fields });
    if (credential) table.setCredential({ ...credential, ...fields });
  };
  return {
    tokens: new MemoryTokenStore(table, { rateLimitedMax: CONTRACT_CEILING }),
    credentials: new MemoryCredentialStore(table),
    account: { id: 'sa-etl', incarnation: accounts.get('sa-etl')?.incarnation },
    otherAccount: { id: 'sa-reporting', incarnation: accounts.get('sa-reporting')?.incarnation },
    user: 'root',
    retire: async (accountId) => {
      const account = accounts.get(accountId);
      if (account) accounts.set(accountId, { ...account, retiring: true });
    },
    removeBehindTheBack: async (token) => {
      table.removeToken(token.serviceAccountId, token.name);
      table.removeCredential(token.lookupId);
    },
    rekey: async (token, key) => {
      expect(await new MemoryKeyOwners(table).write(tokenKeyOwner(token), token.apiKeyId, key)).toBe(true);
    },
    leavePending: async (token) => change(token, { pendingSince: '2020-01-01T00:00:00.000Z' }),
  };
});
