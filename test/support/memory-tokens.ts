import { createAuthenticator } from '../../shared/auth/authenticate.js';
import { ids } from '../../shared/kernel/ids.js';
import { MemoryRateLimits } from '../../shared/ratelimit/memory-rate-limits.js';
import type { CreateTokenDeps } from '../../shared/tokens/create-token.js';
import { MemoryCredentialStore } from '../../shared/tokens/memory-credential-store.js';
import { type MemoryAccount, MemoryTokenTable } from '../../shared/tokens/memory-token-table.js';
import { MemoryTokenStore } from '../../shared/tokens/memory-token-store.js';

/**
 * The token aggregate's use cases on the in-memory adapters (the fast tier): one table,
 * its stores, the key worker's queue showing each message, a clock the test moves, and the
 * authenticator reading the same credentials, so a test can present the secrets it got.
 */
export function memoryTokens(options: { limitPerAccount?: number; now?: string; rateLimitedMax?: number } = {}) {
  const accounts = new Map<string, MemoryAccount>([
    ['sa-etl', { type: 'SERVICE_ACCOUNT' }],
    ['sa-reporting', { type: 'SERVICE_ACCOUNT' }],
    ['alice', { type: 'USER' }],
  ]);
  const table = new MemoryTokenTable((id) => accounts.get(id));
  let now = Date.parse(options.now ?? '2030-01-01T00:00:00.000Z');
  const clock = () => new Date(now);
  const compensationFailures: string[] = [];
  const tokens = new MemoryTokenStore(table, { rateLimitedMax: options.rateLimitedMax });
  const credentials = new MemoryCredentialStore(table);
  const rateLimits = new MemoryRateLimits();
  const deps = {
    tokens,
    credentials,
    rateLimits,
    clock,
    ids,
    onCompensationFailure: (_error: unknown, step: string) => compensationFailures.push(step),
    config: {
      tokens: { limitPerAccount: options.limitPerAccount ?? 50, maxLifetimeDays: 365, retentionDays: 30 },
    } satisfies CreateTokenDeps['config'],
  };
  const authenticate = createAuthenticator({
    credentials,
    directory: { getPrincipal: async () => undefined },
    verifyJwt: async () => {
      throw new Error('no JWTs here');
    },
    userClaim: 'sub',
    clock,
    ids,
    accountTypeCacheSeconds: 60,
    lastUsedWriteIntervalSeconds: 60,
  });
  return {
    table,
    accounts,
    deps,
    compensationFailures,
    /** Moves the clock on. */
    advance(seconds: number) {
      now += seconds * 1000;
    },
    /** Who a token is to the authorizer: its caller, or the refusal. */
    present: (token: string) => authenticate({ 'x-api-token': token }),
  };
}
