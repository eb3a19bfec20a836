import { config } from './config.js';
import { createAwsRateLimits, type RateLimits } from './ratelimit/aws-rate-limits.js';
import { DynamoDirectoryStore, type DirectoryStore } from './store/directory-store.js';
import { createDocumentClient } from './store/dynamodb.js';
import { DynamoTokenStore, type TokenStore } from './store/token-store.js';
import type { TokenServiceDeps } from './tokens/token-service.js';

/**
 * The composition root of a Lambda: clients and stores built once per execution
 * environment, on first use, from configuration.
 */
export interface Runtime {
  tokens: TokenStore;
  directory: DirectoryStore;
  tokenService: TokenServiceDeps;
  /** API Gateway keys and usage plans that enforce `maxRps` (AWS); undefined locally. */
  rateLimits?: RateLimits;
}

let runtime: Runtime | undefined;

export function getRuntime(): Runtime {
  if (runtime) return runtime;
  const settings = config();
  const client = createDocumentClient();
  const tokens = new DynamoTokenStore(client, settings.tableName);
  // Names ids and the step, never a key value. The logger is imported on use: imported
  // with this module, it would be made before the local runtime sets its log level.
  const onCompensationFailure = (error: unknown, step: string) => {
    void import('./middleware/observability.js').then(({ logger }) => logger.error('Compensation failed; reconcile will repair', { step, error }));
  };
  const rateLimits = settings.apiGateway
    ? createAwsRateLimits({
        apiGateway: settings.apiGateway,
        region: settings.region,
        documents: client,
        tableName: settings.tableName,
        onCompensationFailure,
      })
    : undefined;
  runtime = {
    tokens,
    directory: new DynamoDirectoryStore(client, settings.tableName),
    tokenService: {
      tokens,
      policy: {
        limitPerAccount: settings.tokenLimitPerAccount,
        maxLifetimeDays: settings.tokenMaxLifetimeDays,
        retentionDays: settings.expiredTokenRetentionDays,
      },
      ...(rateLimits ? { apiKeys: rateLimits.keys, onCompensationFailure } : {}),
    },
    ...(rateLimits ? { rateLimits } : {}),
  };
  return runtime;
}

/** Replaces the runtime (tests inject stores with faults). */
export function setRuntime(next: Runtime | undefined): void {
  runtime = next;
}
