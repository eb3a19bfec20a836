import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { BODY_LIMIT_BYTES } from '../../shared/http/body-limit.js';
import { REPORT_BODY_LIMIT_BYTES } from '../../shared/scanning/reports.js';
import { bodyLimitOf, entryOf, type Route, routes } from '../../infra/routes.js';
import { onDynamoDbCommand } from '../security/support/dynamodb-calls.js';
import { assertContract } from '../support/contract.js';
import { domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * Request bodies are bounded per route (16 KiB, 1 MiB for a secret scanning report) and a
 * longer one is refused with 413 before it is parsed: locally the gateway stops reading it
 * off the socket, and in AWS (where API Gateway lets up to 10 MB through) each function
 * checks the body's byte length first. The route table holds the limits; the local
 * gateway, the functions and the OpenAPI document agree with it.
 */

const FIN = domainTokens('finance', 'sa-etl');
const EXCHANGE = '/api/v1/auth/token';
const FORM = 'application/x-www-form-urlencoded';
const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JSON_TYPE = { 'Content-Type': 'application/json' };
const FORM_TYPE = { 'Content-Type': FORM };
const OVER_16K = { error: 'invalid_request', error_description: 'the request body is over 16,384 bytes' };
const route = (id: string) => routes.find((candidate) => candidate.id === id)!;

let api: TestService;
/** The functions the gateway invoked, authorizer included, in order. */
const invoked: string[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  api = await startTestService({
    around: (functionId, invoke) => {
      invoked.push(functionId);
      return invoke();
    },
  });
  api.service.gateway.server.on('connection', (socket: Socket) => sockets.push(socket));
});
afterAll(async () => api?.stop());
afterEach(() => {
  invoked.length = 0;
  jest.restoreAllMocks();
});

/** A JSON object of exactly `bytes` bytes: a valid create body, padded with white space. */
const paddedJson = (value: object, bytes: number) => {
  const text = JSON.stringify(value);
  return `${text.slice(0, -1)}${' '.repeat(bytes - text.length)}}`;
};

/** A token exchange form of exactly `bytes` bytes (`pad` fills it; the exchange ignores unknown parameters). */
const paddedForm = (bytes: number, fields: Record<string, string> = {}) => {
  const form = new URLSearchParams({ grant_type: GRANT_TYPE, ...fields }).toString();
  return `${form}&pad=${'x'.repeat(bytes - form.length - 5)}`;
};

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** How many bytes the server read off this connection. */
  bytesRead: number;
  ms: number;
}

/**
 * Sends a whole request over a socket, the entire body written whatever the server does
 * (unlike fetch, which stops sending once an answer comes), chunked when asked.
 */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  options: { chunked?: boolean } = {},
): Promise<RawReply> {
  const { hostname, port } = new URL(api.url);
  const started = performance.now();
  const before = new Set(sockets);
  const head = [
    `${method} ${path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    options.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  return new Promise((resolveReply, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => {
      socket.write(head);
      if (!options.chunked) return void socket.write(body);
      for (let at = 0; at < body.length; at += 65_536) {
        const part = body.subarray(at, at + 65_536);
        socket.write(`${part.length.toString(16)}\r\n`);
        socket.write(part);
        socket.write('\r\n');
      }
      socket.write('0\r\n\r\n');
    });
    const finish = () => {
      const data = Buffer.concat(chunks);
      const split = data.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no answer (${data.length} bytes)`));
      const lines = data.subarray(0, split).toString('latin1').split('\r\n');
      const field = (line: string) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      };
      const replyHeaders = Object.fromEntries(lines.slice(1).map(field)) as Record<string, string>;
      const server = sockets.find((candidate) => !before.has(candidate));
      const text = data.subarray(split + 4).toString('utf8');
      const status = Number(lines[0]!.split(' ')[1]);
      const body = JSON.parse(text);
      assertContract(method, path, { status, contentType: replyHeaders['content-type'] ?? null, text, body });
      const ms = performance.now() - started;
      resolveReply({ status, headers: replyHeaders, body, bytesRead: server?.bytesRead ?? NaN, ms });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server closes the connection after its answer while the body is still being written.
    socket.on('error', () => socket.destroy());
    socket.on('close', finish);
  });
}

describe('over real HTTP, through the local gateway', () => {
  it('refuses a create-token body one byte over 16 KiB with 413 problem JSON, not invoking the function', async () => {
    const body = paddedJson({ name: 'big' }, BODY_LIMIT_BYTES + 1);
    const reply = await api.call('POST', FIN, { as: 'alice', rawBody: body, headers: JSON_TYPE });
    expect(reply.status).toBe(413);
    expect(reply.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', detail: 'The request body is over 16,384 bytes.' });
    // The authorizer ran (as API Gateway's does before the function), the function never did.
    expect(invoked).toStrictEqual(['authorizer']);
    expect((await api.call('GET', FIN, { as: 'alice' })).body.tokens).toStrictEqual([]);
  });

  it('takes a create-token body of exactly 16 KiB', async () => {
    const body = paddedJson({ name: 'just-fits' }, BODY_LIMIT_BYTES);
    expect(Buffer.byteLength(body)).toBe(BODY_LIMIT_BYTES);
    const reply = await api.call('POST', FIN, { as: 'alice', rawBody: body, headers: JSON_TYPE });
    expect(reply.status).toBe(201);
    await api.call('DELETE', `${FIN}/just-fits`, { as: 'alice' });
  });

  it('counts bytes, not characters: 16,384 characters of which one takes two bytes are over the limit', async () => {
    const body = paddedJson({ name: 'wide', note: 'é' }, BODY_LIMIT_BYTES);
    expect(body.length).toBe(BODY_LIMIT_BYTES);
    const reply = await api.call('POST', FIN, { as: 'alice', rawBody: body, headers: JSON_TYPE });
    expect(reply.status).toBe(413);
  });

  it('answers a caller without a credential 401 first, as API Gateway’s authorizer would', async () => {
    const reply = await rawRequest('POST', FIN, JSON_TYPE, Buffer.from(paddedJson({ name: 'x' }, 100_000)));
    expect(reply.status).toBe(401);
    // The rest of the body is left unread on the connection, so the answer closes it.
    expect(reply.headers.connection).toBe('close');
    expect(reply.bytesRead).toBeLessThan(1024 * 1024);
  });

  it('refuses a 9.6 MB anonymous exchange form at once, in OAuth’s shape, having read little of it', async () => {
    const body = Buffer.from(paddedForm(9_600_000));
    const reply = await rawRequest('POST', EXCHANGE, FORM_TYPE, body);
    expect(reply.status).toBe(413);
    expect(reply.body).toStrictEqual(OVER_16K);
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers.connection).toBe('close');
    // Neither parsed nor buffered: the function never ran, and the gateway stopped reading
    // the socket (the client went on writing all 9.6 MB).
    expect(invoked).toStrictEqual([]);
    expect(reply.bytesRead).toBeLessThan(1024 * 1024);
    expect(reply.ms).toBeLessThan(5_000);
  });

  it('refuses a chunked body over the limit just the same (no Content-Length to go by)', async () => {
    const body = Buffer.from(paddedForm(2_000_000));
    const reply = await rawRequest('POST', EXCHANGE, FORM_TYPE, body, { chunked: true });
    expect(reply.status).toBe(413);
    expect(reply.body.error).toBe('invalid_request');
    expect(reply.bytesRead).toBeLessThan(1024 * 1024);
  });

  it('passes an exchange form of exactly 16 KiB on to the function', async () => {
    const reply = await api.call('POST', EXCHANGE, { rawBody: paddedForm(BODY_LIMIT_BYTES), headers: FORM_TYPE });
    expect(reply.status).toBe(400);
    expect(reply.body.error_description).toBe("parameter 'subject_token' is required");
    expect(invoked).toStrictEqual(['exchange-token']);
  });

  it('keeps the secret scanning route’s own, larger limit: a 20 KB report reaches the function', async () => {
    const match = (i: number) => ({ token: `iomsat_${i}`, type: 'iomsat', url: 'https://github.com/o/r' });
    const matches = Array.from({ length: 400 }, (_, i) => match(i));
    const report = JSON.stringify(matches);
    expect(report.length).toBeGreaterThan(BODY_LIMIT_BYTES);
    const reply = await api.call('POST', '/api/v1/secret-scanning/github', { rawBody: report, headers: JSON_TYPE });
    // Refused for want of a signature, by the function: not for its size.
    expect(reply.status).toBe(401);
    expect(invoked).toStrictEqual(['github-secret-scanning']);
  });
});

/** An API Gateway (REST, v1 proxy) event for a route, as API Gateway hands it to the function. */
function gatewayEvent(target: Route, body: string, options: { base64?: boolean } = {}): APIGatewayProxyEvent {
  const sample: Record<string, string> = { domain: 'finance', serviceAccountId: 'sa-etl' };
  const names = [...target.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name!);
  const params = Object.fromEntries(names.map((name) => [name, sample[name] ?? 'x']));
  const path = target.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name]!);
  const headers = { 'Content-Type': target.bodyMediaType ?? 'application/json' };
  return {
    resource: target.path,
    path,
    httpMethod: target.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: Object.keys(params).length > 0 ? params : null,
    stageVariables: null,
    requestContext: {
      requestId: 'r',
      stage: 'prod',
      resourcePath: target.path,
      httpMethod: target.method,
      path: `/prod${path}`,
      identity: { sourceIp: '203.0.113.9' },
    } as never,
    body: options.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: options.base64 === true,
  };
}

const context = (name: string) =>
  ({ functionName: name, awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 }) as unknown as Context;
type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
const handlers = new Map<string, Handler>();
async function handlerOf(id: string): Promise<Handler> {
  if (!handlers.has(id)) {
    const file = pathToFileURL(resolve(import.meta.dirname, '../..', entryOf(id))).href;
    const entry = (await import(file)) as { create: (runtime: unknown) => Handler };
    handlers.set(id, entry.create(api.service.runtime));
  }
  return handlers.get(id)!;
}
/** Invokes a route's function as API Gateway would, with `body`. */
const invoke = async (id: string, body: string, options: { base64?: boolean } = {}) =>
  (await handlerOf(id))(gatewayEvent(route(id), body, options), context(id));

describe('in the function, as in AWS: the raw body’s byte length, checked first', () => {
  let dynamoDbCalls = 0;
  beforeAll(() => onDynamoDbCommand(() => (dynamoDbCalls += 1)));

  it('every function refuses its route’s limit plus one byte, and takes the limit, as text or base64', async () => {
    expect(bodyLimitOf(route('github-secret-scanning'))).toBe(REPORT_BODY_LIMIT_BYTES);
    for (const target of routes) {
      const limit = bodyLimitOf(target);
      expect(target.id === 'github-secret-scanning' ? REPORT_BODY_LIMIT_BYTES : BODY_LIMIT_BYTES).toBe(limit);
      const handler = await handlerOf(target.id);
      for (const base64 of [false, true]) {
        const over = await handler(gatewayEvent(target, 'x'.repeat(limit + 1), { base64 }), context(target.id));
        // `${target.id}, base64 ${base64}`
        expect(over.statusCode).toBe(413);
        const body = JSON.parse(over.body);
        if (target.oauthErrors?.includes(413)) expect(body.error).toBe('invalid_request');
        else expect(body.code).toBe('PAYLOAD_TOO_LARGE');
        const fits = await handler(gatewayEvent(target, 'x'.repeat(limit), { base64 }), context(target.id));
        // `${target.id}, base64 ${base64}`
        expect(fits.statusCode).not.toBe(413);
      }
    }
  });

  it('refuses an oversized create-token body before it is parsed or anything is read', async () => {
    const parse = jest.spyOn(JSON, 'parse');
    const body = paddedJson({ name: 'big' }, BODY_LIMIT_BYTES + 1);
    const calls = dynamoDbCalls;
    const reply = await invoke('create-domain-token', body);
    expect(reply.statusCode).toBe(413);
    const problem = JSON.parse(reply.body);
    expect(problem).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', detail: 'The request body is over 16,384 bytes.' });
    expect(parse.mock.calls.filter(([text]) => text === body)).toStrictEqual([]);
    expect(dynamoDbCalls).toBe(calls);
    // Bytes, not characters: as many characters as the limit, one of them two bytes long.
    const wide = paddedJson({ name: 'wide', note: 'é' }, BODY_LIMIT_BYTES);
    expect((await invoke('create-domain-token', wide)).statusCode).toBe(413);
  });

  it('refuses a 9.6 MB exchange form, base64-encoded as API Gateway may pass it, without parsing it', async () => {
    const event = gatewayEvent(route('exchange-token'), paddedForm(9_600_000), { base64: true });
    const small = gatewayEvent(route('exchange-token'), paddedForm(1_000), { base64: true });
    const handler = await handlerOf('exchange-token');
    // Every form the function parses is a URLSearchParams: count them.
    const Original = globalThis.URLSearchParams;
    let parsed = 0;
    globalThis.URLSearchParams = class extends Original {
      constructor(...args: ConstructorParameters<typeof URLSearchParams>) {
        super(...args);
        parsed += 1;
      }
    };
    try {
      const calls = dynamoDbCalls;
      const reply = await handler(event, context('exchange-token'));
      expect(reply.statusCode).toBe(413);
      expect(JSON.parse(reply.body)).toStrictEqual(OVER_16K);
      expect(reply.headers).toMatchObject({ 'Cache-Control': 'no-store' });
      expect(parsed).toBe(0);
      expect(dynamoDbCalls).toBe(calls);
      // A form within the limit is parsed (the count sees it), and refused for what it says.
      const answer = JSON.parse((await handler(small, context('exchange-token'))).body);
      expect(answer.error_description).toBe("parameter 'subject_token' is required");
      expect(parsed).toBe(1);
    } finally {
      globalThis.URLSearchParams = Original;
    }
  });
});
