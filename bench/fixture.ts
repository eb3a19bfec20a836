import { startDynamoDbLocal } from '../infra/local/dynamodb-local.js';
import type { Directory } from '../shared/directory/directory.js';
import { ids } from '../shared/kernel/ids.js';
import type { TokenRecord } from '../shared/kernel/model.js';
import type { TokenStore } from '../shared/tokens/ports.js';
import { mintToken } from '../shared/kernel/token-format.js';
import { SERVICE_ORIGIN, tokenEvent } from '../shared/kernel/events.js';

/**
 * The benchmark's world: a small case (a manager in a few groups, an account with 20
 * tokens) and a large one (a manager in 500 groups, an account with 1,000 tokens).
 */
export const SMALL = { caller: 'bench-admin', account: 'sa-bench', groups: 3, tokens: 20 };
export const LARGE = { caller: 'bench-admin-500', account: 'sa-bench-1000', groups: 500, tokens: 1000 };
export const TOKEN_LIMIT = 2000;

export function benchDirectory(): Directory {
  const groups = (n: number) => Array.from({ length: n }, (_, i) => `g-${String(i).padStart(3, '0')}`);
  const others = Array.from({ length: 200 }, (_, i) => ({
    id: `user-${i}`,
    type: 'USER' as const,
    domains: ['bench'],
    groups: groups(3 + (i % 5)),
    adminRoles: [],
  }));
  return {
    domains: [{ id: 'bench', authorization: 'ROLE_V1' }],
    users: [
      { id: SMALL.caller, type: 'USER', domains: ['bench'], groups: groups(SMALL.groups), adminRoles: ['ADMIN'] },
      { id: LARGE.caller, type: 'USER', domains: ['bench'], groups: groups(LARGE.groups), adminRoles: ['ADMIN'] },
      { id: SMALL.account, type: 'SERVICE_ACCOUNT', domains: ['bench'], groups: ['g-002'], adminRoles: [] },
      { id: LARGE.account, type: 'SERVICE_ACCOUNT', domains: ['bench'], groups: ['g-499'], adminRoles: [] },
      { id: 'sa-bench-trace', type: 'SERVICE_ACCOUNT', domains: ['bench'], groups: ['g-002'], adminRoles: [] },
      ...others,
    ],
    roles: [
      {
        domain: 'bench',
        name: 'managers',
        permissions: ['access_token.manage'],
        users: [SMALL.caller, LARGE.caller],
        groups: [],
      },
    ],
    bundles: [],
  };
}

/**
 * Stores `count` tokens for an account straight through the store, each with its event, for
 * the account's `incarnation` (as the endpoints read it); returns the first whole token.
 */
export async function seedTokens(
  store: TokenStore,
  account: string,
  count: number,
  incarnation: string | undefined,
  maxRps: number | null = null,
): Promise<string> {
  let first = '';
  const now = new Date().toISOString();
  for (let start = 0; start < count; start += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, count - start) }, async (_, offset) => {
        const i = start + offset;
        const minted = mintToken();
        if (i === 0) first = minted.token;
        const record: TokenRecord = {
          serviceAccountId: account,
          name: `seed-${String(i).padStart(4, '0')}`,
          lookupId: minted.lookupId,
          prefix: minted.prefix,
          status: 'ACTIVE',
          maxRps,
          expiresAt: null,
          createdAt: now,
          createdBy: 'bench',
          updatedAt: now,
          lastUsedAt: null,
          rotatedAt: null,
          rotatedBy: null,
          previousSecret: null,
          ...(incarnation === undefined ? {} : { incarnation }),
        };
        const created = tokenEvent({ clock: () => new Date(), ids }, 'token.created', record, SERVICE_ORIGIN);
        await store.create({ record, secretHash: minted.secretHash, removeAfter: null }, TOKEN_LIMIT, created);
      }),
    );
  }
  return first;
}

/**
 * A step on a DynamoDB Local of its own: after the load step's tens of thousands of writes
 * the shared one wrote the lifecycle's 11,000 items several times slower than a fresh one.
 */
export async function onOwnDynamoDb<T>(work: (endpoint: string) => Promise<T>): Promise<T> {
  const own = await startDynamoDbLocal();
  try {
    return await work(own.endpoint);
  } finally {
    await own.stop();
  }
}
