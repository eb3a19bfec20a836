import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Config, type Environment, LOCAL_DEFAULTS, readConfig } from '../../shared/kernel/config.js';
import type { Directory } from '../../shared/directory/directory.js';
import { type ImportResult, importDeps, importDirectory } from '../../shared/directory/import.js';
import { jwtVerification } from '../../shared/runtime/jwt-wiring.js';
import { keyQueue } from '../../shared/ratelimit/key-queue.js';
import { subjectTokenVerification } from '../../shared/runtime/verification-wiring.js';
import { createRuntime, type Runtime, type RuntimeParts } from '../../shared/runtime/runtime.js';
import { ensureTable } from '../../shared/dynamodb/table.js';
import { openApiDocument } from '../openapi.js';
import { authorizer as authorizerRoute, entryOf, routes } from '../routes.js';
import type { ConsoleSettings } from '../console-settings.js';
import { CONSOLE_PATH, consoleFiles } from './console-files.js';
import { issuerSigningKey } from './issuer-key.js';
import {
  API_SCOPE,
  CONSOLE_CLIENT_ID,
  createLocalOidcProvider,
  type LocalOidcProvider,
  OIDC_PATH,
} from './oidc-provider.js';
import { type EventTailer, startEventTailer } from './event-tailer.js';
import { type RunningDynamoDb, startDynamoDbLocal } from './dynamodb-local.js';
import { type Integration, type LocalGatewayOptions, type RunningGateway, startLocalGateway } from './gateway.js';
import { usagePlanAdmission } from './gateway-authorizer.js';
import { PROJECT_ROOT, STATE_DIR } from './paths.js';
import { announceServer } from './servers.js';

export interface LocalServiceOptions {
  port: number;
  host?: string;
  directory: Directory;
  /**
   * Settings, as environment variables would give them (`npm start` passes its own
   * environment). The service fills in the table, its DynamoDB and its JWKS URL.
   */
  env?: Environment;
  /** Use this DynamoDB endpoint instead of starting DynamoDB Local (tests share one). */
  dynamodbEndpoint?: string;
  /** Keep no data: DynamoDB Local in memory. */
  inMemory?: boolean;
  tableName?: string;
  /** Throttle each token at its `maxRps`, as usage plans do, and routes at their own throttle. @default true */
  throttle?: boolean;
  /**
   * Apply the routes' own method throttles (the open routes'), as the stage does. The benchmark turns them off: it
   * measures a route's work, not its throttle. @default true
   */
  throttleRoutes?: boolean;
  /** Parts of the runtime to use instead of those built from configuration (tests). */
  parts?: (config: Config) => RuntimeParts;
  /** Announce this instance in the state folder, so that the helpers (dev-token, lifecycle, directory) find it. */
  announce?: boolean;
  /** Serve the console at `/console/`, built first if its sources changed. @default false */
  console?: boolean;
  onRequest?: LocalGatewayOptions['onRequest'];
  around?: LocalGatewayOptions['around'];
  /** Append audit events to this file, forwarded from the table's stream as in AWS. */
  eventsFile?: string;
  /** Give a new table its stream even without `eventsFile`, as the stack does. @default true */
  stream?: boolean;
}

export interface LocalService {
  url: string;
  /** The local OpenID provider's issuer (`<url>/oidc`). */
  issuer: string;
  dynamodbEndpoint: string;
  tableName: string;
  imported: ImportResult;
  runtime: Runtime;
  gateway: RunningGateway;
  /** Forwards audit events to `eventsFile`, when one was given. */
  events: EventTailer | undefined;
  stop(): Promise<void>;
}

type EntryModule = { create: (runtime: Runtime) => unknown };

async function entry(id: string): Promise<EntryModule> {
  return (await import(pathToFileURL(resolve(PROJECT_ROOT, entryOf(id))).href)) as EntryModule;
}

/**
 * Starts the whole service locally: DynamoDB Local (unless an endpoint is given), the
 * table, the directory, and the gateway serving every route through the real authorizer
 * and handlers, built from one runtime.
 */
export async function startLocalService(options: LocalServiceOptions): Promise<LocalService> {
  let dynamodb: RunningDynamoDb | undefined;
  let gateway: RunningGateway | undefined;
  // Mounted before they exist: the gateway listens first, and both need its URL.
  let oidc: LocalOidcProvider | undefined;
  let consoleServer: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const unavailable = (res: ServerResponse) =>
    res.writeHead(503, { 'Content-Type': 'text/plain' }).end('Starting; try again in a moment.\n');
  try {
    const endpoint =
      options.dynamodbEndpoint ??
      (dynamodb = await startDynamoDbLocal(options.inMemory ? {} : { dbPath: resolve(STATE_DIR, 'dynamodb') }))
        .endpoint;
    const env = options.env ?? {};
    const tableName = options.tableName || env.TABLE_NAME || LOCAL_DEFAULTS.TABLE_NAME;
    gateway = await startLocalGateway({
      routes,
      port: options.port,
      ...(options.host ? { host: options.host } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      ...(options.around ? { around: options.around } : {}),
      throttleRoutes: options.throttle !== false && options.throttleRoutes !== false,
      extras: { '/openapi.json': async () => openApiDocument() },
      mounts: {
        [OIDC_PATH]: (req, res) => (oidc ? oidc.handle(req, res) : unavailable(res)),
        [CONSOLE_PATH]: (req, res) => (consoleServer ? consoleServer(req, res) : unavailable(res)),
      },
    });
    const issuer = `${gateway.url}${OIDC_PATH}`;
    // The authorizer trusts this very gateway's provider, unless told to trust another.
    const own = (name: 'JWT_ISSUER' | 'JWKS_URL', value: string) =>
      env[name] && env[name] !== LOCAL_DEFAULTS[name] ? env[name] : value;
    const config = readConfig({
      ...env,
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: endpoint,
      JWT_ISSUER: own('JWT_ISSUER', issuer),
      JWKS_URL: own('JWKS_URL', `${issuer}/jwks`),
    });
    // Every function's wiring at once: locally one runtime serves them all.
    const runtime = createRuntime(config, options.parts?.(config), [
      jwtVerification,
      keyQueue,
      subjectTokenVerification,
    ]);
    await ensureTable(runtime.documents, tableName, {
      stream: options.stream !== false || options.eventsFile !== undefined,
    });
    const imported = await importDirectory(importDeps(runtime), options.directory, { replace: false });
    oidc = createLocalOidcProvider({
      baseUrl: gateway.url,
      audience: config.jwt.audience,
      signingKey: await issuerSigningKey(),
      directory: runtime.directory,
    });
    if (options.console) {
      const settings: ConsoleSettings = {
        issuer: config.jwt.issuer,
        clientId: CONSOLE_CLIENT_ID,
        scope: `openid ${API_SCOPE}`,
      };
      consoleServer = await consoleFiles(settings);
    }

    const handlers = Object.fromEntries(
      await Promise.all(routes.map(async (route) => [route.id, (await entry(route.id)).create(runtime)] as const)),
    ) as Integration['handlers'];
    const authorizer = (await entry(authorizerRoute.id)).create(runtime) as Integration['authorizer'];
    const admit = options.throttle === false ? undefined : usagePlanAdmission(runtime.usageKeys);
    gateway.deploy({ handlers, authorizer, clock: runtime.clock, ...(admit ? { admit } : {}) });
    const events = options.eventsFile
      ? await startEventTailer({ endpoint, region: config.region, tableName, file: options.eventsFile })
      : undefined;
    const withdraw = options.announce
      ? announceServer({
          url: gateway.url,
          issuer: config.jwt.issuer,
          dynamodbEndpoint: endpoint,
          tableName,
          pid: process.pid,
          keepsData: !options.inMemory,
          ...(options.eventsFile ? { eventsFile: options.eventsFile } : {}),
        })
      : undefined;
    const running = gateway;
    return {
      url: running.url,
      issuer: config.jwt.issuer,
      dynamodbEndpoint: endpoint,
      tableName,
      imported,
      runtime,
      gateway: running,
      events,
      stop: async () => {
        await running.close();
        await events?.stop();
        withdraw?.();
        runtime.documents.destroy();
        await dynamodb?.stop();
      },
    };
  } catch (error) {
    await gateway?.close();
    await dynamodb?.stop();
    throw error;
  }
}
