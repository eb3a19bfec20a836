import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { PROBLEM_CONTENT_TYPE, problemType } from '../../shared/http/problem.js';
import { RATE_LIMIT_POLICY, THROTTLED_RETRY_AFTER_SECONDS } from '../../shared/ratelimit/throttled-response.js';

/**
 * API Gateway's own refusals, rewritten as the problem JSON the functions and the local
 * gateway (`infra/local/gateway.ts`, `gatewayResponses`) answer with, so a client sees
 * one error shape whichever layer refused. Gateway response templates do simple
 * `$context` substitution only (no VTL), so each status is fixed per response type.
 */
export interface ProblemGatewayResponse {
  type: apigw.ResponseType;
  status: number;
  code: string;
  title: string;
  /** Literal text, or a `$context` variable that expands to a quoted JSON string. */
  detail: string;
  /** Extra body fields, as JSON values (`$context` variables allowed inside strings). */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** `$context.error.messageString` is API Gateway's message already quoted as a JSON string. */
const GATEWAY_MESSAGE = '$context.error.messageString';

const unauthorized = {
  status: 401,
  code: 'UNAUTHORIZED',
  title: 'Unauthorized',
  detail: 'A valid access token or bearer JWT is required.',
};
const notFound = { status: 404, code: 'NOT_FOUND', title: 'Not found', detail: 'No such route.' };
const authorizerFailure = {
  status: 500,
  code: 'AUTHORIZER_FAILURE',
  title: 'Internal error',
  detail: 'The request could not be authorized; retry later.',
  extra: { requestId: '$context.requestId' },
};

export const problemGatewayResponses: ProblemGatewayResponse[] = [
  { type: apigw.ResponseType.UNAUTHORIZED, ...unauthorized },
  // The key comes from the authorizer, never from the client: an unusable key means an
  // unusable token, and the body must not say which part was wrong.
  { type: apigw.ResponseType.INVALID_API_KEY, ...unauthorized },
  { type: apigw.ResponseType.ACCESS_DENIED, status: 403, code: 'FORBIDDEN', title: 'Forbidden', detail: 'Access denied.' },
  {
    type: apigw.ResponseType.THROTTLED,
    status: 429,
    code: 'THROTTLED',
    title: 'Too many requests',
    detail: 'This token exceeded its maxRps; slow down and retry.',
    // API Gateway sends no Retry-After of its own. RateLimit-Policy is left out: it names
    // the token's maxRps, which a gateway response cannot read.
    headers: {
      'Retry-After': String(THROTTLED_RETRY_AFTER_SECONDS),
      RateLimit: `"${RATE_LIMIT_POLICY}";r=0;t=${THROTTLED_RETRY_AFTER_SECONDS}`,
    },
  },
  {
    type: apigw.ResponseType.QUOTA_EXCEEDED,
    status: 429,
    code: 'QUOTA_EXCEEDED',
    title: 'Quota exceeded',
    detail: 'The request quota of this token is used up; retry in the next period.',
  },
  // API Gateway answers an unknown route with 403 "Missing Authentication Token"; the
  // local gateway, and any client, expects a 404.
  { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, ...notFound },
  { type: apigw.ResponseType.RESOURCE_NOT_FOUND, ...notFound },
  {
    type: apigw.ResponseType.REQUEST_TOO_LARGE,
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    title: 'Payload too large',
    detail: 'The request body is larger than 10 MB.',
  },
  // The request validator refuses a body that is not a JSON object; the functions answer
  // the same case with this very problem.
  {
    type: apigw.ResponseType.BAD_REQUEST_BODY,
    status: 400,
    code: 'VALIDATION_FAILED',
    title: 'Validation failed',
    detail: 'The request has invalid fields; see errors.',
    extra: { errors: [{ field: 'body', message: 'must be a JSON object' }] },
  },
  { type: apigw.ResponseType.AUTHORIZER_FAILURE, ...authorizerFailure },
  { type: apigw.ResponseType.AUTHORIZER_CONFIGURATION_ERROR, ...authorizerFailure },
  {
    type: apigw.ResponseType.INTEGRATION_TIMEOUT,
    status: 504,
    code: 'GATEWAY_TIMEOUT',
    title: 'Gateway timeout',
    detail: 'The function did not answer in time; retry later.',
    extra: { requestId: '$context.requestId' },
  },
  { type: apigw.ResponseType.DEFAULT_4XX, status: 400, code: 'BAD_REQUEST', title: 'Bad request', detail: GATEWAY_MESSAGE },
  {
    type: apigw.ResponseType.DEFAULT_5XX,
    status: 502,
    code: 'BAD_GATEWAY',
    title: 'Bad gateway',
    detail: 'The function failed; retry later.',
    extra: { requestId: '$context.requestId' },
  },
];

/** The response body template: problem JSON, with `detail` spliced in unquoted when it is a gateway variable. */
export function problemTemplate(response: ProblemGatewayResponse): string {
  const body = {
    type: problemType(response.code),
    title: response.title,
    status: response.status,
    detail: response.detail,
    code: response.code,
    ...response.extra,
  };
  const json = JSON.stringify(body);
  return response.detail === GATEWAY_MESSAGE ? json.replace(JSON.stringify(GATEWAY_MESSAGE), GATEWAY_MESSAGE) : json;
}

/** Adds every problem response to the API. */
export function addProblemGatewayResponses(api: apigw.RestApi): void {
  for (const response of problemGatewayResponses) {
    const headers: Record<string, string> = {
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'Cache-Control': 'no-store',
      ...response.headers,
    };
    api.addGatewayResponse(`Problem${response.type.responseType}`, {
      type: response.type,
      statusCode: String(response.status),
      // Header values are mapping expressions: a literal needs single quotes.
      responseHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, `'${value}'`])),
      templates: { 'application/json': problemTemplate(response) },
    });
  }
}
