import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { config, LOCAL_DEFAULTS, resetConfig } from '../../shared/config.js';
import type { Directory } from '../../shared/directory/directory.js';
import { DynamoDirectoryStore, type ImportResult } from '../../shared/store/directory-store.js';
import { createDocumentClient } from '../../shared/store/dynamodb.js';
import { ensureTable } from '../../shared/store/table.js';
import { setRuntime } from '../../shared/runtime.js';
import { authorizer as authorizerRoute, entryOf, routes } from '../routes.js';
import { devJwks } from './dev-issuer.js';
import { type RunningDynamoDb, startDynamoDbLocal } from './dynamodb-local.js';
import { type LocalGatewayOptions, type RunningGateway, startLocalGateway, type Throttle } from './gateway.js';
import { LOCAL_DIR, PROJECT_ROOT, RUNTIME_FILE } from './paths.js';

export interface LocalServiceOptions {
  port: number;
  host?: string;
  directory: Directory;
  /** Use this DynamoDB endpoint instead of starting DynamoDB Local (tests share one). */
  dynamodbEndpoint?: string;
  /** Keep no data: DynamoDB Local in memory. */
  inMemory?: boolean;
  tableName?: string;
  throttle?: Throttle;
  /** Write `.local/runtime.json` so the directory CLI finds this instance. */
  announce?: boolean;
  onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
  around?: LocalGatewayOptions['around'];
}

export interface LocalService {
  url: string;
  dynamodbEndpoint: string;
  tableName: string;
  imported: ImportResult;
  gateway: RunningGateway;
  stop(): Promise<void>;
}

async function importHandler(id: string) {
  const module = (await import(pathToFileURL(resolve(PROJECT_ROOT, entryOf(id))).href)) as { handler: unknown };
  return module.handler;
}

/**
 * Starts the whole service locally: DynamoDB Local (unless an endpoint is given), the
 * table, the directory, and the gateway serving every route through the real
 * authorizer and handlers.
 */
export async function startLocalService(options: LocalServiceOptions): Promise<LocalService> {
  let dynamodb: RunningDynamoDb | undefined;
  const endpoint =
    options.dynamodbEndpoint ??
    (dynamodb = await startDynamoDbLocal(options.inMemory ? {} : { dbPath: resolve(LOCAL_DIR, 'dynamodb') })).endpoint;
  const tableName = options.tableName || process.env.TABLE_NAME || LOCAL_DEFAULTS.TABLE_NAME;
  try {
    process.env.DYNAMODB_ENDPOINT = endpoint;
    process.env.TABLE_NAME = tableName;
    resetConfig();
    setRuntime(undefined);
    const raw = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await ensureTable(raw, tableName);
    raw.destroy();
    const imported = await new DynamoDirectoryStore(createDocumentClient(), tableName).importDirectory(options.directory, { replace: false });

    const handlers = Object.fromEntries(
      await Promise.all(routes.map(async (route) => [route.id, await importHandler(route.id)] as const)),
    ) as never;
    const authorizer = (await importHandler(authorizerRoute.id)) as never;
    const gateway = await startLocalGateway({
      routes,
      handlers,
      authorizer,
      port: options.port,
      ...(options.host ? { host: options.host } : {}),
      ...(options.throttle ? { throttle: options.throttle } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      ...(options.around ? { around: options.around } : {}),
      extras: { '/.well-known/jwks.json': devJwks },
    });
    // The authorizer reads its JWKS from this very gateway, now that its port is known.
    if (!process.env.JWKS_URL || process.env.JWKS_URL === LOCAL_DEFAULTS.JWKS_URL) {
      process.env.JWKS_URL = `${gateway.url}/.well-known/jwks.json`;
    }
    resetConfig();
    config();
    if (options.announce) {
      mkdirSync(LOCAL_DIR, { recursive: true });
      writeFileSync(RUNTIME_FILE, JSON.stringify({ url: gateway.url, dynamodbEndpoint: endpoint, tableName, pid: process.pid }, null, 2));
    }
    return {
      url: gateway.url,
      dynamodbEndpoint: endpoint,
      tableName,
      imported,
      gateway,
      stop: async () => {
        await gateway.close();
        if (options.announce) rmSync(RUNTIME_FILE, { force: true });
        await dynamodb?.stop();
      },
    };
  } catch (error) {
    await dynamodb?.stop();
    throw error;
  }
}
