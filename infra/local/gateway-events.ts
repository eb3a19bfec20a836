import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';

/**
 * How the local gateway turns an HTTP request into what API Gateway hands a Lambda (a
 * REST API's v1 proxy event and a context), and a proxy result back into HTTP.
 */

export const ACCOUNT_ID = '000000000000';
export const API_ID = 'local';
/** API Gateway's payload limit: it refuses a longer body itself, before the authorizer. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * A Lambda context as the runtime hands one over. The gateway builds two a request (the
 * authorizer's and the function's), so what needs no state lives on the class, not in
 * closures made for each call: those are work the gateway would add to the service's own.
 */
class LocalContext implements Context {
  readonly callbackWaitsForEmptyEventLoop = true;
  readonly functionVersion = '$LATEST';
  readonly memoryLimitInMB = '256';
  readonly logStreamName = 'local';
  readonly invokedFunctionArn: string;
  readonly logGroupName: string;
  /** Its own function, as the runtime makes it: Middy calls it unbound. */
  readonly getRemainingTimeInMillis: () => number;

  constructor(
    readonly functionName: string,
    readonly awsRequestId: string,
  ) {
    const deadline = Date.now() + 29_000; // API Gateway's integration timeout
    this.invokedFunctionArn = `arn:aws:lambda:local:${ACCOUNT_ID}:function:${functionName}`;
    this.logGroupName = `/aws/lambda/${functionName}`;
    this.getRemainingTimeInMillis = () => Math.max(0, deadline - Date.now());
  }

  done(): void {}
  fail(): void {}
  succeed(): void {}
}

export function lambdaContext(functionName: string, requestId: string): Context {
  return new LocalContext(functionName, requestId);
}

/**
 * The body, read up to `limit` bytes: past it, reading stops (the socket is paused, the
 * rest never buffered) and `complete` is false. An answer to such a request must close the
 * connection (`Connection: close`), since the unread rest of the body is still on it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<{ bytes: Buffer; complete: boolean }> {
  // No body at all (most calls): nothing to wait for. Node reads the empty rest itself.
  if (!hasBody(req)) return Promise.resolve(NO_BODY);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (complete: boolean) => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
      if (!complete) req.pause();
      resolve({ bytes: Buffer.concat(chunks), complete });
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish(false);
      chunks.push(chunk);
    };
    const onEnd = () => finish(true);
    const onError = (error: Error) => reject(error);
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

const NO_BODY = Object.freeze({ bytes: Buffer.alloc(0), complete: true });

/** Whether a request has a body, as HTTP/1.1 frames one (RFC 9112, 6.3): a length above 0, or a transfer coding. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

// Maps without a prototype: a header or query key named `constructor` or `__proto__` is data.
const dictionary = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

export function headerMaps(req: IncomingMessage) {
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

export function queryMaps(search: URLSearchParams) {
  const single = dictionary<string>();
  const multi = dictionary<string[]>();
  for (const [key, value] of search) {
    single[key] = value;
    (multi[key] ??= []).push(value);
  }
  const any = Object.keys(single).length > 0;
  return { queryStringParameters: any ? single : null, multiValueQueryStringParameters: any ? multi : null };
}

export function send(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
  // A text body goes as a string: Node writes it with the headers in one write, where a
  // buffer is a second chunk of a vectored write (61 µs a call against 53, profiled).
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : (result.body ?? '');
  headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

export function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  return (
    typeof value === 'object' && value !== null && Number.isInteger((value as { statusCode?: unknown }).statusCode)
  );
}
