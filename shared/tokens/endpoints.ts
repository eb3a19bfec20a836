import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod/mini';
import type { FieldError } from '../kernel/errors.js';
import type { Caller } from '../kernel/model.js';
import { jsonResponse } from '../http/problem.js';
import { bodyOrThrow, readJsonBody } from '../http/json-body.js';
import { pathParameter } from '../http/path-parameters.js';
import { changeOrigin, requestMeta } from '../http/request-origin.js';
import {
  check,
  createTokenBody,
  deprecatedCreateTokenBody,
  pageQuery,
  tokenNamePath,
  updateTokenBody,
} from '../http/validation.js';
import type { Scope } from '../middleware/authorization.js';
import { type EndpointDeps, type TokenEndpointContext, tokenEndpoint } from '../middleware/token-endpoint.js';
import type { TokenParts } from './ports.js';
import { type CallerLimits, limitsOf } from './caller-limits.js';
import { afterCursor } from '../http/cursor.js';
import { type TokenServiceDeps, tokenServiceDeps } from './deps.js';
import { createToken, deleteToken, listTokens } from './token-service.js';
import { updateToken } from './update-token.js';

/** What the token endpoints use. */
export type TokenEndpointDeps = EndpointDeps & TokenParts;

/**
 * The token endpoints. Each Lambda entry in `functions/` is one of these for one scope;
 * the authorization stack has run before any handler here.
 */

function tokensPath(context: TokenEndpointContext<unknown>, serviceAccountId: string): string {
  const account = `auth/service-accounts/${encodeURIComponent(serviceAccountId)}/tokens`;
  return context.domain === undefined
    ? `/api/v1/${account}`
    : `/api/v1/domains/${encodeURIComponent(context.domain)}/${account}`;
}

/** The body as a JSON object, `emptyAs` when there is none; undefined (with errors pushed) when unreadable. */
export function jsonObjectBody(event: APIGatewayProxyEvent, errors: FieldError[], emptyAs: unknown): unknown {
  const value = bodyOrThrow(readJsonBody(event.body, event.headers?.['content-type']), errors);
  if (value === undefined) return errors.length > 0 ? undefined : emptyAs;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push({ field: 'body', message: 'must be a JSON object' });
    return undefined;
  }
  return value;
}

/**
 * Validates the body, and its `maxRps` against this deployment's ceiling: the stage's own
 * rate limit, above which a limit could never be reached.
 */
function checkBody<S extends z.ZodMiniType>(
  parts: TokenEndpointDeps,
  schema: S,
  event: APIGatewayProxyEvent,
  errors: FieldError[],
): z.infer<S> | undefined {
  const json = jsonObjectBody(event, errors, {});
  const body = json === undefined ? undefined : check(schema, json, errors);
  const maxRps = (body as { maxRps?: number | null } | undefined)?.maxRps;
  const ceiling = parts.config.tokens.maxRps;
  if (typeof maxRps === 'number' && maxRps > ceiling)
    errors.push({ field: 'maxRps', message: `must be an integer from 1 to ${ceiling}, or null` });
  return body;
}

/** The calling token's limits, for a token caller. */
export function withCallerLimits(caller: Caller): { callerLimits?: CallerLimits } {
  const limits = limitsOf(caller);
  return limits ? { callerLimits: limits } : {};
}

/** The token name from the path, decoded and validated. */
export function tokenNameOf(event: APIGatewayProxyEvent, errors: FieldError[]): { name: string } | undefined {
  const name = pathParameter(event, 'name');
  if (name === undefined && event.pathParameters?.name !== undefined) {
    errors.push({ field: 'name', message: 'is not valid percent-encoding' });
    return undefined;
  }
  return check(tokenNamePath, { name }, errors);
}

export function listTokensEndpoint(parts: TokenEndpointDeps, scope: Scope) {
  const deps = tokenServiceDeps(parts);
  return tokenEndpoint(parts, {
    scope,
    input: (event, errors) => {
      const query = check(pageQuery, event.queryStringParameters ?? {}, errors);
      return { limit: query?.limit ?? 50, after: afterCursor(query?.nextToken, errors) };
    },
  }).handler(async (_event, context) => {
    const page = await listTokens(deps, context.serviceAccount.id, context.input.limit, context.input.after);
    return jsonResponse(200, page);
  });
}

async function create(
  parts: TokenEndpointDeps,
  deps: TokenServiceDeps,
  event: APIGatewayProxyEvent,
  context: TokenEndpointContext<{ name: string; maxRps?: number | null; expiresAt?: string | null }>,
  headers: Record<string, string> = {},
) {
  const { view, token } = await createToken(deps, {
    serviceAccountId: context.serviceAccount.id,
    name: context.input.name,
    maxRps: context.input.maxRps ?? null,
    expiresAt: context.input.expiresAt ?? null,
    createdBy: context.caller.userId,
    ...withCallerLimits(context.caller),
    origin: changeOrigin(context.caller, requestMeta(event)),
    incarnation: context.serviceAccount.incarnation,
  });
  parts.metrics.addMetric('TokenCreated', MetricUnit.Count, 1);
  const location = `${tokensPath(context, view.serviceAccountId)}/${encodeURIComponent(view.name)}`;
  return jsonResponse(201, { ...view, token }, { ...headers, Location: location });
}

export function createTokenEndpoint(parts: TokenEndpointDeps, scope: Scope) {
  const deps = tokenServiceDeps(parts);
  return tokenEndpoint(parts, {
    scope,
    input: (event, errors) => checkBody(parts, createTokenBody, event, errors)!,
  }).handler(async (event, context) => create(parts, deps, event, context));
}

/** RFC 9745 `Deprecation` value: the moment the body-parameter create was deprecated. */
export const DEPRECATED_SINCE = '@1767225600'; // 2026-01-01T00:00:00Z

export function deprecatedCreateTokenEndpoint(parts: TokenEndpointDeps, scope: Scope) {
  const deps = tokenServiceDeps(parts);
  return tokenEndpoint(parts, {
    scope,
    targetFrom: 'body',
    input: (event, errors) => checkBody(parts, deprecatedCreateTokenBody, event, errors)!,
  }).handler(async (event, context) =>
    create(parts, deps, event, context, {
      Deprecation: DEPRECATED_SINCE,
      Link: `<${tokensPath(context, context.serviceAccount.id)}>; rel="successor-version"`,
    }),
  );
}

export function updateTokenEndpoint(parts: TokenEndpointDeps, scope: Scope) {
  const deps = tokenServiceDeps(parts);
  return tokenEndpoint(parts, {
    scope,
    input: (event, errors) => {
      const path = tokenNameOf(event, errors);
      const body = checkBody(parts, updateTokenBody, event, errors);
      return { name: path?.name ?? '', ...body };
    },
  }).handler(async (event, context) => {
    const { name, status, maxRps } = context.input;
    const view = await updateToken(
      deps,
      context.serviceAccount.id,
      name,
      { ...(status === undefined ? {} : { status }), ...(maxRps === undefined ? {} : { maxRps }) },
      limitsOf(context.caller),
      changeOrigin(context.caller, requestMeta(event)),
    );
    return jsonResponse(200, view);
  });
}

export function deleteTokenEndpoint(parts: TokenEndpointDeps, scope: Scope) {
  const deps = tokenServiceDeps(parts);
  return tokenEndpoint(parts, {
    scope,
    input: (event, errors) => ({ name: tokenNameOf(event, errors)?.name ?? '' }),
  }).handler(async (event, context) => {
    await deleteToken(
      deps,
      context.serviceAccount.id,
      context.input.name,
      changeOrigin(context.caller, requestMeta(event)),
    );
    parts.metrics.addMetric('TokenDeleted', MetricUnit.Count, 1);
    return { statusCode: 204, headers: { 'Cache-Control': 'no-store' }, body: '' };
  });
}
