import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { BODY_LIMIT_BYTES } from '../../shared/http/body-limit.js';
import { REPORT_BODY_LIMIT_BYTES } from '../../shared/scanning/reports.js';
import { bodyLimitOf, entryOf, type Route, routes } from '../../infra/routes.js';
import { onDynamoDbCommand } from '../security/support/dynamodb-calls.js';
import { OVER_16K, paddedForm, paddedJson } from '../support/bodies.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * The body limits in the functions, as in AWS, where API Gateway lets bodies of up to
 * 10 MB through: each function checks the raw body's byte length (base64 or text) first,
 * before it parses anything or reads the table, against its route's limit in the route
 * table. The functions are invoked with API Gateway's events, as in AWS.
 */

const route = (id: string) => routes.find((candidate) => candidate.id === id)!;

let api: TestService;
let dynamoDbCalls = 0;

beforeAll(async () => {
  api = await startTestService();
  onDynamoDbCommand(() => (dynamoDbCalls += 1));
});
afterAll(async () => api?.stop());
afterEach(() => {
  jest.restoreAllMocks();
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
