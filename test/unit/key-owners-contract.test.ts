import { expect, it } from '@jest/globals';
import { MemoryKeyOwners } from '../../shared/ratelimit/memory-key-owners.js';
import { MemoryCredentialStore } from '../../shared/tokens/memory-credential-store.js';
import { MemoryTokenTable } from '../../shared/tokens/memory-token-table.js';
import { MemoryTokenStore } from '../../shared/tokens/memory-token-store.js';
import { keyOwnersContract } from '../support/contracts/key-owners.js';

/** The key worker's owners on the in-memory adapter (its DynamoDB half is in test/integration/). */
keyOwnersContract('in memory', async () => {
  const table = new MemoryTokenTable(() => ({ type: 'SERVICE_ACCOUNT' }));
  return {
    owners: new MemoryKeyOwners(table),
    tokens: new MemoryTokenStore(table),
    credentials: new MemoryCredentialStore(table),
    account: { id: 'sa-etl', incarnation: undefined },
  };
});

it('holds no policy’s key: the in-memory runs give tokens keys only', async () => {
  const owners = new MemoryKeyOwners(new MemoryTokenTable());
  await expect(owners.read({ kind: 'policy', serviceAccountId: 'sa-etl', policyId: 'p1' })).rejects.toThrow(
    'tokens only',
  );
});
