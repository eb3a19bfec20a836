import { config } from './config.js';
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
}

let runtime: Runtime | undefined;

export function getRuntime(): Runtime {
  if (runtime) return runtime;
  const settings = config();
  const client = createDocumentClient();
  const tokens = new DynamoTokenStore(client, settings.tableName);
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
    },
  };
  return runtime;
}

/** Replaces the runtime (tests inject stores with faults). */
export function setRuntime(next: Runtime | undefined): void {
  runtime = next;
}
