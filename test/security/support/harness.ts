import { connect } from 'node:net';
import { expect, it } from '@jest/globals';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Directory } from '../../../shared/directory/directory.js';
import type { DirectoryStore } from '../../../shared/directory/ports.js';
import type { TokenStore } from '../../../shared/tokens/ports.js';
import { LocalRateLimits } from '../../../shared/ratelimit/local-rate-limits.js';
import { DynamoKeyOwners } from '../../../shared/ratelimit/key-owners.js';
import type { Runtime } from '../../../shared/runtime/runtime.js';
import { createDocumentClient } from '../../../shared/dynamodb/client.js';
import { hashSecret, parseToken } from '../../../shared/kernel/token-format.js';
import { startTestService, type CallOptions, type TestService } from '../../support/service.js';
import { SwitchableRateLimits } from '../../support/switchable-rate-limits.js';
import { assertContract } from '../../support/contract.js';
import { FaultInjector } from './faults.js';
import { saveFigures } from './figures.js';
import { NeedleMap, NeedleSet } from '../../support/needles.js';
import type { Item } from './table.js';

/**
 * One local service per security test file, with what every file needs on top of
 * test/support/service.ts:
 *
 * - a fault injector between every store and DynamoDB (see faults.ts);
 * - secret hygiene: every response is checked for the secret (and its hash) of every
 *   token created so far, every line written to stdout and stderr is kept, and the last
 *   test of each file (`secretHygieneTest`) asserts no secret reached a log line, an item
 *   or any response other than the one create response that returns it;
 * - figures for the report, saved when the service stops.
 *
 * Every store of the service reaches DynamoDB through one document client, which the
 * fault injector wraps before the runtime is built.
 */

export interface Reply {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  text: string;
  /** Parsed JSON, or undefined. */
  body: any;
}

export interface RawRequest {
  method: string;
  /** Sent as is: percent-encoding, dot segments and all. */
  path: string;
  /** Name/value pairs, sent in order and byte for byte (latin1). */
  headers?: [string, string][];
  body?: Buffer | string;
}

export interface SecurityService {
  api: TestService;
  url: string;
  tableName: string;
  faults: FaultInjector;
  /** The service's own runtime: its stores and client, behind the fault injector (tests seed fixtures with them). */
  runtime: Runtime;
  /** The runtime's rate limiter and usage keys: the local ones, until a test puts API Gateway's (faked) behind them. */
  limits: SwitchableRateLimits;
  local: LocalRateLimits;
  documents: DynamoDBDocumentClient;
  tokens: TokenStore;
  directory: DirectoryStore;
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  raw(request: RawRequest): Promise<Reply>;
  jwt(userId: string): Promise<string>;
  scanTable(): Promise<Item[]>;
  hygiene: SecretHygiene;
  stop(): Promise<void>;
}

export interface SecretHygiene {
  /** Secret part of every token created, to the prefix that names it in messages. */
  secrets: NeedleMap<string>;
  /** Values no response may carry: stored secret hashes, API key values. */
  hashes: NeedleSet;
  /** Everything written to stdout and stderr as text (log lines). */
  output: string[];
  /** Responses that carried a secret or a hash they should not have. */
  leaks: string[];
  responsesChecked: number;
}

function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => (record[name.toLowerCase()] = value));
  return record;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps every text chunk written to stdout and stderr. Powertools log lines (JSON with a
 * level) are kept but not printed, so a run with every log level on stays readable; the
 * test runner's own messages (binary) pass through untouched.
 */
function captureOutput(output: string[]): () => void {
  const undo: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string') {
        output.push(chunk);
        if (chunk.startsWith('{') && chunk.includes('"level":')) return true;
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
    undo.push(() => (stream.write = write as typeof stream.write));
  }
  return () => undo.forEach((restore) => restore());
}

/** A whole HTTP/1.1 exchange over a socket, for requests fetch refuses to send. */
function rawExchange(
  url: string,
  request: RawRequest,
): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  const { hostname, port } = new URL(url);
  const body =
    request.body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(request.body)
        ? request.body
        : Buffer.from(request.body, 'utf8');
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    ...(request.headers ?? []).map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${body.length}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => {
      socket.write(Buffer.from(head, 'latin1'));
      if (body.length > 0) socket.write(body);
    });
    const finish = () => {
      const data = Buffer.concat(chunks);
      const split = data.indexOf('\r\n\r\n');
      if (split < 0) {
        reject(new Error(`no HTTP response to ${request.method} ${request.path.slice(0, 80)} (${data.length} bytes)`));
        return;
      }
      const lines = data.subarray(0, split).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status, headers, text: data.subarray(split + 4).toString('utf8') });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', finish);
    // The server may answer and close while a large body is still being written.
    socket.on('error', (error) => (chunks.length > 0 ? finish() : reject(error)));
  });
}

export interface SecurityServiceOptions {
  file: string;
  directory: Directory;
  env?: Record<string, string>;
}

export async function startSecurityService(options: SecurityServiceOptions): Promise<SecurityService> {
  const hygiene: SecretHygiene = {
    secrets: new NeedleMap(),
    hashes: new NeedleSet(),
    output: [],
    leaks: [],
    responsesChecked: 0,
  };
  const restoreOutput = captureOutput(hygiene.output);
  let client: DynamoDBDocumentClient | undefined;
  let faults: FaultInjector | undefined;
  let local: LocalRateLimits | undefined;
  let limits: SwitchableRateLimits | undefined;
  const api = await startTestService({
    directory: options.directory,
    // Every level on, so that a secret logged at any level would be caught.
    // Every request makes the same calls (the fault injectors count them): no remembered account types.
    env: { ...options.env, POWERTOOLS_LOG_LEVEL: 'DEBUG', JWT_ACCOUNT_TYPE_CACHE_SECONDS: '0' },
    parts: (config) => {
      client = createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint });
      faults = new FaultInjector(client);
      local = new LocalRateLimits(new DynamoKeyOwners(client, config.tableName), () => new Date());
      limits = new SwitchableRateLimits(local, local);
      return { documents: client, rateLimits: limits, usageKeys: limits };
    },
  });
  const { runtime } = api.service;
  const { tokens, directory } = runtime;

  const observe = (what: string, reply: Reply): Reply => {
    hygiene.responsesChecked += 1;
    const own =
      reply.status === 201 && typeof reply.body?.token === 'string' ? parseToken(reply.body.token) : undefined;
    if (own) {
      hygiene.secrets.set(own.secret, reply.body.prefix ?? own.lookupId);
      hygiene.hashes.add(hashSecret(own.secret));
    }
    const seen = `${reply.text}\n${JSON.stringify(reply.headers)}`;
    // Every secret and hash so far, in one pass over the answer (needles.ts).
    for (const secret of hygiene.secrets.index.findIn(seen)) {
      if (secret !== own?.secret)
        hygiene.leaks.push(`${what} → ${reply.status} carried the secret of ${hygiene.secrets.get(secret)}`);
    }
    for (const _hash of hygiene.hashes.index.findIn(seen)) {
      hygiene.leaks.push(`${what} → ${reply.status} carried a stored secret hash or key value`);
    }
    return reply;
  };

  return {
    api,
    url: api.url,
    tableName: api.tableName,
    faults: faults!,
    runtime,
    limits: limits!,
    local: local!,
    documents: client!,
    tokens,
    directory,
    hygiene,
    jwt: (userId) => api.jwt(userId),
    async call(method, path, callOptions) {
      const result = await api.call(method, path, callOptions);
      return observe(`${method} ${path}`, {
        status: result.status,
        headers: headerRecord(result.headers),
        text: result.text,
        body: result.body,
      });
    },
    async raw(request) {
      const result = await rawExchange(api.url, request);
      const body = parseJson(result.text);
      // 431 comes from Node's HTTP parser, before anything of ours (API Gateway has its own limit).
      if (result.status !== 431)
        assertContract(request.method, request.path, {
          status: result.status,
          contentType: result.headers['content-type'] ?? null,
          text: result.text,
          body,
        });
      return observe(`${request.method} ${request.path.slice(0, 120)}`, { ...result, body });
    },
    scanTable: () => api.scanTable() as Promise<Item[]>,
    async stop() {
      saveFigures(options.file);
      client?.destroy();
      await api.stop();
      restoreOutput();
    },
  };
}

/**
 * The last test of every security file: no secret of any token the file created is in a
 * log line, a stored item, or a response other than its own create response. Of one
 * service, or of each of several (a file that starts one per part), each still running.
 */
export function secretHygieneTest(service: () => SecurityService | undefined | (SecurityService | undefined)[]): void {
  it('keeps every token secret out of logs, stored items and every other response', async () => {
    const services = [service()].flat();
    // 'the service did not start'
    if (services.length === 0 || services.includes(undefined)) throw new Error('api is missing');
    for (const api of services as SecurityService[]) await hygieneOf(api);
  });
}

/** One service's secret hygiene (see `secretHygieneTest`). */
async function hygieneOf(api: SecurityService): Promise<void> {
  const { secrets, hashes, output, leaks } = api.hygiene;
  // A file that created no token would pass this vacuously.
  // 'no token was created, so nothing was checked'
  expect(secrets.size > 0).toBeTruthy();
  // 'responses carried secrets or hashes'
  expect(leaks).toStrictEqual([]);
  const logged = secrets.index.findIn(output.join(''));
  const inLogs = [...secrets].filter(([secret]) => logged.has(secret)).map(([, prefix]) => prefix);
  // 'secrets written to stdout/stderr'
  expect(inLogs).toStrictEqual([]);
  const stored = JSON.stringify(await api.scanTable());
  const inStored = secrets.index.findIn(stored);
  const inTable = [...secrets].filter(([secret]) => inStored.has(secret)).map(([, prefix]) => prefix);
  // 'secrets stored in the table'
  expect(inTable).toStrictEqual([]);
  // The hash is what is stored; it must be there (or the check above proves nothing).
  // 'no stored hash found'
  expect(hashes.index.findIn(stored).size > 0 || !stored.includes('CRED#')).toBeTruthy();
}

/** Problems with an error response's shape (docs/api.md, "Errors"), empty when it is right. */
/** What is wrong with an OAuth error answer (RFC 6749 §5.2, the token exchange's own refusals). */
export function oauthErrorShape(reply: Reply): string[] {
  const problems: string[] = [];
  if (!(reply.headers['content-type'] ?? '').startsWith('application/json'))
    problems.push(`content-type is ${JSON.stringify(reply.headers['content-type'] ?? null)}, not application/json`);
  if (reply.headers['cache-control'] !== 'no-store') problems.push('no Cache-Control: no-store');
  const body = reply.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object')
    return [...problems, `body is not JSON: ${JSON.stringify(reply.text.slice(0, 120))}`];
  if (typeof body.error !== 'string' || !/^[a-z_]+$/.test(body.error)) problems.push('error is missing');
  // RFC 6749 §5.2: printable ASCII without `"` and `\`.
  if (typeof body.error_description !== 'string' || !/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(body.error_description))
    problems.push('error_description is missing or has characters RFC 6749 forbids');
  if (/\bat .+:\d+:\d+\)?/.test(reply.text)) problems.push('the body holds a stack trace');
  return problems;
}

export function problemShape(reply: Reply): string[] {
  const problems: string[] = [];
  if (!(reply.headers['content-type'] ?? '').startsWith('application/problem+json')) {
    problems.push(
      `content-type is ${JSON.stringify(reply.headers['content-type'] ?? null)}, not application/problem+json`,
    );
  }
  const body = reply.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object')
    return [...problems, `body is not JSON: ${JSON.stringify(reply.text.slice(0, 120))}`];
  for (const field of ['type', 'title', 'detail', 'code'] as const) {
    if (typeof body[field] !== 'string' || body[field] === '') problems.push(`${field} is missing`);
  }
  if (body.status !== reply.status) problems.push(`status field ${String(body.status)} differs from ${reply.status}`);
  if (body.code === 'VALIDATION_FAILED') {
    const errors = body.errors as unknown;
    if (
      !Array.isArray(errors) ||
      errors.length === 0 ||
      !errors.every((e) => typeof e?.field === 'string' && typeof e?.message === 'string')
    ) {
      problems.push('a 400 without an errors list of { field, message }');
    }
  }
  if (/\bat .+:\d+:\d+\)?/.test(reply.text)) problems.push('the body holds a stack trace');
  return problems;
}

/** Runs `work` over `items`, at most `width` at a time, keeping the order of results. */
export async function inPool<T, R>(
  items: readonly T[],
  width: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}
