import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { problem, problemResponse } from '../../shared/http/problem.js';
import type { Route } from '../routes.js';

/**
 * A local stand-in for API Gateway (REST API, Lambda proxy integration): it matches the
 * route table, calls the REQUEST authorizer with the event API Gateway would build,
 * refuses as API Gateway's customised gateway responses do (problem JSON), and invokes
 * each route's handler with a v1 proxy event.
 */

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent, context: Context) => Promise<APIGatewayAuthorizerResult>;

/** Decides, after authorization, whether a request may pass (the usage plan's throttle). */
export type Throttle = (authorizer: APIGatewayAuthorizerResult) => { allowed: true } | { allowed: false; headers: Record<string, string> };

export interface LocalGatewayOptions {
  routes: Route[];
  handlers: Record<string, Handler>;
  authorizer: AuthorizerHandler;
  /** Extra GET paths served as JSON outside the API (the dev issuer's JWKS). */
  extras?: Record<string, () => Promise<unknown>>;
  throttle?: Throttle;
  port: number;
  host?: string;
  stage?: string;
  onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
  /** Wraps every function invocation (the benchmark attributes DynamoDB calls with it). */
  around?: <T>(functionId: string, invoke: () => Promise<T>) => Promise<T>;
}

export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's payload limit
const API_ID = 'local';
const ACCOUNT_ID = '000000000000';

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  params: string[];
}

function compile(routes: Route[]): CompiledRoute[] {
  return routes
    .map((route) => {
      const params: string[] = [];
      const source = route.path
        .split('/')
        .map((segment) => {
          const param = /^\{(\w+)\}$/.exec(segment);
          if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          params.push(param[1]!);
          return '([^/]+)';
        })
        .join('/');
      return { route, pattern: new RegExp(`^${source}$`), params };
    })
    // Literal segments win over parameters, as in API Gateway.
    .sort((a, b) => a.params.length - b.params.length);
}

function gatewayProblem(status: number, code: string, title: string, detail: string, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return problemResponse(problem(status, code, title, detail), headers);
}

export const gatewayResponses = {
  notFound: () => gatewayProblem(404, 'NOT_FOUND', 'Not found', 'No such route.'),
  unauthorized: () => gatewayProblem(401, 'UNAUTHORIZED', 'Unauthorized', 'A valid access token or bearer JWT is required.'),
  accessDenied: () => gatewayProblem(403, 'FORBIDDEN', 'Forbidden', 'Access denied.'),
  tooLarge: () => gatewayProblem(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', 'The request body is larger than 10 MB.'),
  badRequest: (detail: string) => gatewayProblem(400, 'BAD_REQUEST', 'Bad request', detail),
  authorizerFailure: () => gatewayProblem(500, 'AUTHORIZER_FAILURE', 'Internal error', 'The request could not be authorized; retry later.'),
  internal: () => gatewayProblem(502, 'BAD_GATEWAY', 'Bad gateway', 'The function failed; retry later.'),
};

function lambdaContext(functionName: string, requestId: string): Context {
  const deadline = Date.now() + 29_000; // API Gateway's integration timeout
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

// Maps without a prototype: a header or query key named `constructor` or `__proto__` is data.
const dictionary = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

function headerMaps(req: IncomingMessage) {
  const headers = dictionary<string>();
  const multiValueHeaders = dictionary<string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

function queryMaps(search: URLSearchParams) {
  const single = dictionary<string>();
  const multi = dictionary<string[]>();
  for (const [key, value] of search) {
    single[key] = value;
    (multi[key] ??= []).push(value);
  }
  const any = Object.keys(single).length > 0;
  return { queryStringParameters: any ? single : null, multiValueQueryStringParameters: any ? multi : null };
}

function send(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
  headers['Content-Length'] = String(body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  return typeof value === 'object' && value !== null && Number.isInteger((value as { statusCode?: unknown }).statusCode);
}

export async function startLocalGateway(options: LocalGatewayOptions): Promise<RunningGateway> {
  const compiled = compile(options.routes);
  const around = options.around ?? (<T>(_id: string, invoke: () => Promise<T>) => invoke());
  const stage = options.stage ?? 'local';
  const host = options.host ?? '127.0.0.1';

  async function handle(req: IncomingMessage): Promise<APIGatewayProxyResult> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const extra = method === 'GET' ? options.extras?.[url.pathname] : undefined;
    if (extra) {
      return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(await extra()) };
    }
    let match: { compiled: CompiledRoute; values: string[] } | undefined;
    for (const candidate of compiled) {
      if (candidate.route.method !== method) continue;
      const found = candidate.pattern.exec(url.pathname);
      if (found) {
        match = { compiled: candidate, values: found.slice(1) };
        break;
      }
    }
    if (!match) return gatewayResponses.notFound();
    const { route, params } = match.compiled;
    let pathParameters: Record<string, string> | null = null;
    try {
      if (params.length > 0) pathParameters = Object.fromEntries(params.map((name, i) => [name, decodeURIComponent(match.values[i]!)]));
    } catch {
      return gatewayResponses.badRequest('The path has malformed percent-encoding.');
    }
    const raw = await readBody(req);
    if (raw === 'too-large') return gatewayResponses.tooLarge();
    const { headers, multiValueHeaders } = headerMaps(req);
    const { queryStringParameters, multiValueQueryStringParameters } = queryMaps(url.searchParams);
    const requestId = randomUUID();
    const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
    const requestContext = {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      stage,
      requestId,
      extendedRequestId: requestId,
      resourceId: route.id,
      resourcePath: route.path,
      httpMethod: method,
      path: `/${stage}${url.pathname}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestTimeEpoch: Date.now(),
      identity: { sourceIp, userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null },
    };
    const methodArn = `arn:aws:execute-api:local:${ACCOUNT_ID}:${API_ID}/${stage}/${method}${url.pathname}`;

    let authorizerContext: Record<string, unknown> | null = null;
    if (route.auth === 'authenticated') {
      const authorizerEvent = {
        type: 'REQUEST',
        methodArn,
        resource: route.path,
        path: url.pathname,
        httpMethod: method,
        headers,
        multiValueHeaders,
        queryStringParameters: queryStringParameters ?? {},
        multiValueQueryStringParameters: multiValueQueryStringParameters ?? {},
        pathParameters: pathParameters ?? {},
        stageVariables: {},
        requestContext,
      } as unknown as APIGatewayRequestAuthorizerEvent;
      let result: APIGatewayAuthorizerResult;
      try {
        result = await around('authorizer', () => options.authorizer(authorizerEvent, lambdaContext('authorizer', randomUUID())));
      } catch (error) {
        return (error as Error)?.message === 'Unauthorized' ? gatewayResponses.unauthorized() : gatewayResponses.authorizerFailure();
      }
      const allowed = result.policyDocument?.Statement?.some(
        (statement) => statement.Effect === 'Allow' && 'Resource' in statement && [statement.Resource].flat().some((r) => r === methodArn || r === '*' || (typeof r === 'string' && r.endsWith('/*'))),
      );
      if (!allowed) return gatewayResponses.accessDenied();
      if (options.throttle) {
        const verdict = options.throttle(result);
        if (!verdict.allowed) {
          return gatewayProblem(429, 'THROTTLED', 'Too many requests', 'This token exceeded its maxRps; slow down and retry.', verdict.headers);
        }
      }
      authorizerContext = { ...(result.context ?? {}), principalId: result.principalId };
    }

    const event = {
      resource: route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters,
      multiValueQueryStringParameters,
      pathParameters,
      stageVariables: null,
      requestContext: { ...requestContext, authorizer: authorizerContext },
      body: raw.length > 0 ? raw.toString('utf8') : null,
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEvent;
    const handler = options.handlers[route.id];
    if (!handler) return gatewayResponses.internal();
    try {
      const result = await around(route.id, () => handler(event, lambdaContext(route.id, requestId)));
      return isProxyResult(result) ? result : gatewayResponses.internal();
    } catch {
      return gatewayResponses.internal();
    }
  }

  const server = createServer((req, res) => {
    const started = performance.now();
    handle(req)
      .catch((): APIGatewayProxyResult => gatewayResponses.internal())
      .then((result) => {
        send(res, result);
        options.onRequest?.({
          method: req.method ?? '',
          path: (req.url ?? '').split('?')[0]!,
          status: result.statusCode,
          ms: Math.round(performance.now() - started),
        });
      })
      .catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5000;
  // Requests Node's parser refuses (oversized or malformed headers) still get problem JSON.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify(
      tooLarge
        ? problem(431, 'HEADERS_TOO_LARGE', 'Request headers too large', 'The request headers are too large.')
        : problem(400, 'BAD_REQUEST', 'Bad request', 'The request is malformed.'),
    );
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

