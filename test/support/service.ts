import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Directory } from '../../shared/directory/directory.js';
import { devAccessToken } from '../../infra/local/dev-token-client.js';
import { craftJwt } from './issuer.js';
import { readDirectoryFile } from '../../infra/local/directory-file.js';
import { DEFAULT_DIRECTORY_FILE } from '../../infra/local/paths.js';
import { type LocalService, type LocalServiceOptions, startLocalService } from '../../infra/local/service.js';
import type { Config, Environment } from '../../shared/kernel/config.js';
import type { RuntimeParts } from '../../shared/runtime/runtime.js';
import { assertContract } from './contract.js';

/**
 * A whole local service for one test file: its own table in the run's DynamoDB Local,
 * the real gateway on a free port, the real authorizer and handlers.
 */
export interface TestService {
  url: string;
  service: LocalService;
  tableName: string;
  /** An access token for a person, from the service's own OpenID provider (cached per user). */
  jwt(userId: string): Promise<string>;
  /** The service's OpenID provider. */
  issuer: string;
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  scanTable(): Promise<Record<string, unknown>[]>;
  documentClient: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

export interface CallOptions {
  /** A person's user id: they sign in at the service's provider, and its JWT is sent. */
  as?: string;
  token?: string;
  headers?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export function exampleDirectory(): Directory {
  return readDirectoryFile(DEFAULT_DIRECTORY_FILE);
}

export interface TestServiceOptions {
  directory?: Directory;
  /** Throttle at each token's maxRps. @default true */
  throttle?: boolean;
  /** Settings on top of the test defaults, as environment variables would give them. */
  env?: Environment;
  /** Runtime parts to use instead of those built from configuration (faults, a fake API Gateway). */
  parts?: (config: Config) => RuntimeParts;
  /** Wraps every function invocation, given the function's id. */
  around?: LocalServiceOptions['around'];
  /** Forward audit events from the table's stream to this file, as `npm start` does. */
  eventsFile?: string;
}

export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run the tests with npm test');
  const tableName = `t-${randomUUID()}`;
  const service = await startLocalService({
    port: 0,
    directory: options.directory ?? exampleDirectory(),
    dynamodbEndpoint: endpoint,
    tableName,
    env: { POWERTOOLS_LOG_LEVEL: 'WARN', ...options.env },
    ...(options.throttle === false ? { throttle: false } : {}),
    ...(options.parts ? { parts: options.parts } : {}),
    ...(options.around ? { around: options.around } : {}),
    ...(options.eventsFile ? { eventsFile: options.eventsFile } : {}),
    // A stream only where its events are read: see TableOptions.stream.
    stream: options.eventsFile !== undefined,
  });
  const documentClient = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  // One sign-in per person, however many requests ask for it at once.
  const jwts = new Map<string, Promise<string>>();
  const signIn = async (userId: string) => {
    // The provider signs in only the directory's people. A JWT for anyone else (a service
    // account, someone unknown) is what another identity provider might issue: made with
    // this provider's key, so that the API's own refusal is what is tested.
    if ((await service.runtime.directory.getPrincipal(userId))?.type !== 'USER')
      return craftJwt(userId, { issuer: service.issuer });
    return devAccessToken(service.issuer, userId);
  };
  const jwt = (userId: string) => {
    let value = jwts.get(userId);
    if (!value) {
      value = signIn(userId);
      jwts.set(userId, value);
      // A failed sign-in is not remembered: the next request tries again.
      value.catch(() => jwts.delete(userId));
    }
    return value;
  };
  return {
    url: service.url,
    service,
    tableName,
    jwt,
    issuer: service.issuer,
    documentClient,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.as) headers.Authorization = `Bearer ${await jwt(options.as)}`;
      if (options.token) headers['X-API-Token'] = options.token;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['Content-Type'] ??= 'application/json';
      }
      const response = await fetch(`${service.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      assertContract(method, path, {
        status: response.status,
        contentType: response.headers.get('content-type'),
        text,
        body: parsed,
      });
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
    async scanTable() {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await documentClient.send(
          new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return items;
    },
    async stop() {
      documentClient.destroy();
      await service.stop();
    },
  };
}

export const domainTokens = (domain: string, account: string) =>
  `/api/v1/domains/${domain}/auth/service-accounts/${account}/tokens`;
export const adminTokens = (account: string) => `/api/v1/auth/service-accounts/${account}/tokens`;
