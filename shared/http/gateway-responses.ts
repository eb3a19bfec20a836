import { RATE_LIMIT_POLICY, THROTTLED_RETRY_AFTER_SECONDS } from './throttled-response.js';
import { problem, problemResponse, problemType, type HttpResponse } from './problem.js';
import { AUTH_FAILURE_DETAILS } from '../kernel/auth-failures.js';
import { BEARER_CHALLENGE } from './www-authenticate.js';

/**
 * The gateway's own refusals, as problem JSON: the one table the CDK stack turns into
 * API Gateway gateway responses and the local gateway answers with, so a client sees
 * one error shape whichever layer refused, locally or in AWS.
 *
 * API Gateway's templates do `$context` substitution only (no logic), so each response
 * has a fixed status and code; `detail` may be a `$context` variable that API Gateway
 * expands to a quoted JSON string.
 */
export interface GatewayResponse {
  /** API Gateway's response type (`UNAUTHORIZED`, `THROTTLED`, …). */
  type: string;
  /** The status answered; the local gateway's for the catch-alls, whose status API Gateway keeps per error. */
  status: number;
  /**
   * A catch-all (DEFAULT_4XX, DEFAULT_5XX): API Gateway keeps each error's own status, and
   * the body leaves `status` out, since a template cannot say it.
   */
  keepsStatus?: true;
  code: string;
  title: string;
  detail: string;
  /** The problem's `type` when it is not the one of `code` (a `$context` variable, as `code` then is). */
  problemType?: string;
  /** Extra body fields, as JSON values (`$context` variables allowed inside strings in AWS). */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** `$context.error.messageString` is API Gateway's message already quoted as a JSON string. */
export const GATEWAY_MESSAGE = '$context.error.messageString';
export const REQUEST_ID = '$context.requestId';
/** The response type (`WAF_FILTERED`, …), as the code of a catch-all. */
export const RESPONSE_TYPE = '$context.error.responseType';

/**
 * What the authorizer's Deny tells its gateway response, in the Deny's context: API Gateway
 * gives a gateway response the context of the authorizer's answer as
 * `$context.authorizer.<key>` ("Output from an API Gateway Lambda authorizer", and the
 * variables of gateway response templates, in the API Gateway developer guide), which a
 * thrown `Unauthorized` has none of. The template splices the values in as they are,
 * between the quotes of a JSON string, so each is written escaped as JSON string content
 * (a detail may quote "Bearer "); they are the service's own words, never the request's.
 */
export function denyContext(refusal: { code: string; title: string; detail: string }): Record<string, string> {
  const spliced = (value: string) => JSON.stringify(value).slice(1, -1);
  return {
    problemType: spliced(problemType(refusal.code)),
    problemCode: spliced(refusal.code),
    problemTitle: spliced(refusal.title),
    problemDetail: spliced(refusal.detail),
  };
}
const AUTHORIZER = '$context.authorizer.';
const denied = (key: keyof ReturnType<typeof denyContext>) => `${AUTHORIZER}${key}`;

/** Seconds a client is told to wait before retrying what the gateway could not do just now. */
export const GATEWAY_RETRY_AFTER_SECONDS = 5;

// API Gateway's own 401, for an authorizer that throws `Unauthorized`: it tells nothing of
// why, so words that fit every failure and RFC 6750's bare challenge. This service's
// authorizer refuses with a Deny instead (ACCESS_DENIED below); an authorizer version that
// still throws (the previous one, while a rollout shifts traffic) is answered alike.
const unauthorized = {
  status: 401,
  code: 'UNAUTHORIZED',
  title: 'Unauthorized',
  detail: AUTH_FAILURE_DETAILS.missing,
  headers: { 'WWW-Authenticate': BEARER_CHALLENGE },
};
const notFound = { status: 404, code: 'NOT_FOUND', title: 'Not found', detail: 'No such route.' };
// The authorizer crashed, timed out, was throttled or could not be invoked: nothing the
// caller did, and a retry may well succeed, so 503 (a 500 tells CI to give up).
const authorizerFailure = {
  status: 503,
  code: 'AUTHORIZER_FAILURE',
  title: 'Service unavailable',
  detail: 'The request could not be authorized just now; retry after Retry-After seconds.',
  extra: { requestId: REQUEST_ID },
  headers: { 'Retry-After': String(GATEWAY_RETRY_AFTER_SECONDS) },
};

export const gatewayResponses = {
  UNAUTHORIZED: { ...unauthorized },
  // The key comes from the authorizer, never from the client, and only for a token it
  // accepted: a key the gateway does not take is drift between the token and API Gateway
  // (repaired by reconcile, or a new key not yet honoured), not a bad credential. A 401
  // would stop a pipeline for good; the body tells a caller nothing a 401 would not.
  INVALID_API_KEY: {
    status: 503,
    code: 'API_KEY_UNAVAILABLE',
    title: 'Service unavailable',
    detail: 'The gateway cannot apply this token’s rate limit just now; retry after Retry-After seconds.',
    extra: { requestId: REQUEST_ID },
    headers: { 'Retry-After': String(GATEWAY_RETRY_AFTER_SECONDS) },
  },
  // The authorizer's Deny: a credential that did not authenticate, in the authorizer's own
  // words (see denyContext), as 401. A gateway response has one status whatever the context
  // says, and its headers are request values or fixed text, never the context: so the
  // challenge is the bare one, true of every refusal (RFC 6750 §3 leaves error out when no
  // credential was sent). Nothing else in the stack answers ACCESS_DENIED: the API has no
  // resource policy and no IAM-authorized method.
  ACCESS_DENIED: {
    status: 401,
    code: denied('problemCode'),
    title: denied('problemTitle'),
    detail: denied('problemDetail'),
    problemType: denied('problemType'),
    headers: { 'WWW-Authenticate': BEARER_CHALLENGE },
  },
  THROTTLED: {
    status: 429,
    code: 'THROTTLED',
    title: 'Too many requests',
    detail: 'This token exceeded its maxRps; slow down and retry.',
    // API Gateway sends no Retry-After of its own. RateLimit-Policy is left out: it names
    // the token's maxRps, which a gateway response cannot read (the local gateway adds it).
    headers: {
      'Retry-After': String(THROTTLED_RETRY_AFTER_SECONDS),
      RateLimit: `"${RATE_LIMIT_POLICY}";r=0;t=${THROTTLED_RETRY_AFTER_SECONDS}`,
    },
  },
  QUOTA_EXCEEDED: {
    status: 429,
    code: 'QUOTA_EXCEEDED',
    title: 'Quota exceeded',
    detail: 'The request quota of this token is used up; retry in the next period.',
  },
  // API Gateway answers an unknown route with 403 "Missing Authentication Token"; clients
  // expect a 404.
  MISSING_AUTHENTICATION_TOKEN: { ...notFound },
  RESOURCE_NOT_FOUND: { ...notFound },
  REQUEST_TOO_LARGE: {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    title: 'Payload too large',
    detail: 'The request body is larger than 10 MB.',
  },
  // The request validator refuses a body that is not a JSON object; the functions answer
  // the same case with this very problem.
  BAD_REQUEST_BODY: {
    status: 400,
    code: 'VALIDATION_FAILED',
    title: 'Validation failed',
    detail: 'The request has invalid fields; see errors.',
    extra: { errors: [{ field: 'body', message: 'must be a JSON object' }] },
  },
  AUTHORIZER_FAILURE: { ...authorizerFailure },
  AUTHORIZER_CONFIGURATION_ERROR: { ...authorizerFailure },
  INTEGRATION_TIMEOUT: {
    status: 504,
    code: 'GATEWAY_TIMEOUT',
    title: 'Gateway timeout',
    detail: 'The function did not answer in time; retry later.',
    extra: { requestId: REQUEST_ID },
  },
  // Every other response type API Gateway documents, each with its own status, so that
  // none falls through to a catch-all.
  BAD_REQUEST_PARAMETERS: { status: 400, code: 'BAD_REQUEST', title: 'Bad request', detail: GATEWAY_MESSAGE },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    title: 'Unsupported media type',
    detail: 'Send the request body as application/json.',
  },
  WAF_FILTERED: {
    status: 403,
    code: 'WAF_FILTERED',
    title: 'Forbidden',
    detail: 'The request was refused by the web application firewall.',
  },
  EXPIRED_TOKEN: { status: 403, code: 'FORBIDDEN', title: 'Forbidden', detail: 'Access denied.' },
  INVALID_SIGNATURE: { status: 403, code: 'FORBIDDEN', title: 'Forbidden', detail: 'Access denied.' },
  API_CONFIGURATION_ERROR: {
    status: 500,
    code: 'API_CONFIGURATION_ERROR',
    title: 'Internal error',
    detail: 'The API is misconfigured; retry later.',
    extra: { requestId: REQUEST_ID },
  },
  INTEGRATION_FAILURE: {
    status: 504,
    code: 'INTEGRATION_FAILURE',
    title: 'Gateway timeout',
    detail: 'The function could not be reached; retry later.',
    extra: { requestId: REQUEST_ID },
  },
  // Catch-alls: they keep each error's own status (a fixed one here would turn a WAF 403 or
  // a 415 into a 400), and name API Gateway's response type.
  DEFAULT_4XX: {
    status: 400,
    keepsStatus: true,
    code: 'REQUEST_REFUSED',
    title: 'Request refused',
    detail: GATEWAY_MESSAGE,
    extra: { responseType: RESPONSE_TYPE },
  },
  DEFAULT_5XX: {
    status: 502,
    keepsStatus: true,
    code: 'BAD_GATEWAY',
    title: 'Bad gateway',
    detail: 'The function failed; retry later.',
    extra: { requestId: REQUEST_ID },
  },
} satisfies Record<string, Omit<GatewayResponse, 'type'>>;

export type GatewayResponseType = keyof typeof gatewayResponses;

export function gatewayResponseTable(): GatewayResponse[] {
  return Object.entries(gatewayResponses).map(([type, response]) => ({ type, ...response }));
}

/**
 * A gateway response as the local gateway sends it: `$context` variables replaced by
 * what API Gateway would put there (its message, the request id).
 */
export function localGatewayResponse(
  type: GatewayResponseType,
  options: {
    message?: string;
    requestId?: string;
    responseType?: string;
    headers?: Record<string, string>;
    /** The context of the authorizer's answer (its Deny's, for ACCESS_DENIED). */
    authorizer?: Record<string, unknown>;
  } = {},
): HttpResponse {
  const response: Omit<GatewayResponse, 'type'> = gatewayResponses[type];
  const substitute = (value: unknown): unknown =>
    typeof value === 'string' && value.startsWith(AUTHORIZER)
      ? fromContext(options.authorizer?.[value.slice(AUTHORIZER.length)])
      : value === REQUEST_ID
        ? options.requestId
        : value === GATEWAY_MESSAGE
          ? options.message
          : value === RESPONSE_TYPE
            ? (options.responseType ?? type)
            : value;
  const extra = Object.fromEntries(
    Object.entries(response.extra ?? {}).map(([name, value]) => [name, substitute(value)]),
  );
  const detail = String(substitute(response.detail) ?? response.title);
  const [code, title] = [String(substitute(response.code)), String(substitute(response.title))];
  const shown = problem(response.status, code, title, detail, extra);
  if (response.problemType !== undefined) shown.type = String(substitute(response.problemType));
  const answer = problemResponse(shown, {
    ...response.headers,
    ...options.headers,
  });
  if (!response.keepsStatus) return answer;
  const { status: _unsaid, ...body } = JSON.parse(answer.body) as Record<string, unknown>;
  return { ...answer, body: JSON.stringify(body) };
}

/** A context value as the template splice reads it: JSON string content (see denyContext). */
function fromContext(value: unknown): string {
  const text = String(value ?? '');
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return text;
  }
}
