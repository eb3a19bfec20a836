import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { localGatewayResponse as refuse } from '../../shared/http/gateway-responses.js';
import { problem } from '../../shared/http/problem.js';
import { TokenBuckets } from '../../shared/ratelimit/token-buckets.js';
import { bodyTooLargeOAuth, bodyTooLargeProblem } from '../../shared/http/body-limit.js';
import { bodyLimitOf, type Route } from '../routes.js';
import { type AuthorizerIntegration, authorize } from './gateway-authorizer.js';
import {
  ACCOUNT_ID,
  API_ID,
  headerMaps,
  isProxyResult,
  lambdaContext,
  MAX_BODY_BYTES,
  queryMaps,
  readBody,
  send,
} from './gateway-events.js';

/**
 * A local stand-in for API Gateway (REST API, Lambda proxy integration): it matches the
 * route table, calls the REQUEST authorizer with the event API Gateway would build,
 * admits the request by the usage key the authorizer named (the usage plans' throttle),
 * refuses with the same gateway responses as the stack, and invokes each route's handler
 * with a v1 proxy event.
 *
 * It listens first and is deployed after: the functions' configuration may need its URL.
 */

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** What a deployment wires behind the routes. */
export interface Integration extends AuthorizerIntegration {
  handlers: Record<string, Handler>;
  /** The service's clock, for `requestTimeEpoch`: a test that moves the service's time moves the gateway's too. */
  clock?: () => Date;
}

export interface LocalGatewayOptions {
  routes: Route[];
  port: number;
  host?: string;
  stage?: string;
  /** Extra GET paths served as JSON outside the API (the OpenAPI document). */
  extras?: Record<string, () => Promise<unknown>>;
  /**
   * Servers mounted under a path prefix outside the API (the OpenID provider, the
   * console): every request under `/<prefix>/`, or for the prefix itself, is theirs.
   */
  mounts?: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
  onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
  /** Apply the throttle of routes that have their own (`Route.throttle`). @default true */
  throttleRoutes?: boolean;
  /** Wraps every function invocation (the benchmark attributes DynamoDB calls with it). */
  around?: <T>(functionId: string, invoke: () => Promise<T>) => Promise<T>;
}

export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  deploy(integration: Integration): void;
  close(): Promise<void>;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  params: string[];
}

function compile(routes: Route[]): CompiledRoute[] {
  return (
    routes
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
      .sort((a, b) => a.params.length - b.params.length)
  );
}

export async function startLocalGateway(options: LocalGatewayOptions): Promise<RunningGateway> {
  const compiled = compile(options.routes);
  const around = options.around ?? (<T>(_id: string, invoke: () => Promise<T>) => invoke());
  const stage = options.stage ?? 'local';
  const host = options.host ?? '127.0.0.1';
  let integration: Integration | undefined;
  const routeBuckets = new TokenBuckets();

  /** `unread`: the body was left on the socket (over a limit), so the answer closes the connection. */
  async function handle(req: IncomingMessage, state: { unread: boolean }): Promise<APIGatewayProxyResult> {
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
    if (!match) return refuse('MISSING_AUTHENTICATION_TOKEN');
    if (!integration) return refuse('DEFAULT_5XX');
    const { route, params } = match.compiled;
    // A route's own throttle, as the stage's method settings apply it in AWS.
    if (route.throttle && options.throttleRoutes !== false) {
      const taken = routeBuckets.take(route.id, route.throttle.rateLimit);
      if (!taken.allowed) return refuse('THROTTLED', { headers: taken.headers });
    }
    const requestId = randomUUID();
    // As API Gateway (REST) does: path parameters reach the functions still percent-encoded.
    const pathParameters: Record<string, string> | null =
      params.length > 0 ? Object.fromEntries(params.map((name, i) => [name, match.values[i]!])) : null;
    // API Gateway's own limit, before the authorizer; a body that does not say its length
    // is held to the route's limit below, which is lower.
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
      state.unread = true;
      return refuse('REQUEST_TOO_LARGE');
    }
    const raw = await readBody(req, bodyLimitOf(route));
    state.unread = !raw.complete;
    const { headers, multiValueHeaders } = headerMaps(req);
    const { queryStringParameters, multiValueQueryStringParameters } = queryMaps(url.searchParams);
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
      requestTimeEpoch: integration.clock ? integration.clock().getTime() : Date.now(),
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null,
      },
    };
    let authorizerContext: Record<string, unknown> | null = null;
    if (route.auth === 'authenticated') {
      const authorized = await authorize(integration, around, {
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:local:${ACCOUNT_ID}:${API_ID}/${stage}/${method}${url.pathname}`,
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
      } as unknown as APIGatewayRequestAuthorizerEvent);
      if ('refusal' in authorized) return authorized.refusal;
      authorizerContext = authorized.context;
    }

    // Where the function would check it in AWS: after the authorizer, before anything else.
    if (!raw.complete) {
      const limit = bodyLimitOf(route);
      return route.oauthErrors?.includes(413) ? bodyTooLargeOAuth(limit) : bodyTooLargeProblem(limit);
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
      body: raw.bytes.length > 0 ? raw.bytes.toString('utf8') : null,
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEvent;
    const handler = integration.handlers[route.id];
    if (!handler) return refuse('DEFAULT_5XX', { requestId });
    try {
      const result = await around(route.id, () => handler(event, lambdaContext(route.id, requestId)));
      return isProxyResult(result) ? result : refuse('DEFAULT_5XX', { requestId });
    } catch {
      return refuse('DEFAULT_5XX', { requestId });
    }
  }

  const mounts = Object.entries(options.mounts ?? {});
  const mountOf = (url: string | undefined) => {
    const path = (url ?? '/').split('?')[0]!;
    return mounts.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`))?.[1];
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    const mounted = mountOf(req.url);
    if (mounted) {
      res.once('finish', () =>
        options.onRequest?.({
          method: req.method ?? '',
          path: (req.url ?? '').split('?')[0]!,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        }),
      );
      return mounted(req, res);
    }
    const state = { unread: false };
    handle(req, state)
      .catch((): APIGatewayProxyResult => refuse('DEFAULT_5XX'))
      .then((result) => {
        send(res, state.unread ? { ...result, headers: { ...result.headers, Connection: 'close' } } : result);
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
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: ` +
        `close\r\n\r\n${body}`,
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
    deploy: (next) => {
      integration = next;
    },
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
