import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterCursor } from '../http/cursor.js';
import type { Rule } from '../http/rules.js';
import { jsonObjectBody } from '../http/json-body.js';
import { pathParameter } from '../http/path-parameters.js';
import { jsonResponse } from '../http/problem.js';
import { changeOrigin, requestedAt, requestMeta } from '../http/request-origin.js';
import {
  check,
  createTokenBody,
  deprecatedCreateTokenBody,
  pageQuery,
  rotateTokenBody,
  stageMaxRps,
  tokenNamePath,
  updateTokenBody,
} from '../http/validation.js';
import type { Config } from '../kernel/config.js';
import type { FieldError } from '../kernel/errors.js';
import type { Caller } from '../kernel/model.js';
import type { Scope } from '../middleware/authorization.js';
import { type EndpointDeps, type TokenEndpointContext, tokenEndpoint } from '../middleware/token-endpoint.js';
import { type CallerLimits, limitsOf } from './caller-limits.js';
import { type CreateTokenDeps, createToken } from './create-token.js';
import { type DeleteTokenDeps, deleteToken } from './delete-token.js';
import { type EndGracePeriodDeps, endGracePeriod } from './end-grace-period.js';
import { listTokens } from './list-tokens.js';
import { type RotateTokenDeps, rotateToken } from './rotate-token.js';
import { type TokenUpdate, type UpdateTokenDeps, updateToken } from './update-token.js';
import { checkNetworksRequired } from './required-networks.js';
import type { TokenScope } from '../kernel/restrictions.js';

/** What the token endpoints use: the stack's, the use cases', and the deployment's ceiling on `maxRps`. */
export type TokenEndpointDeps = EndpointDeps &
  CreateTokenDeps &
  UpdateTokenDeps &
  DeleteTokenDeps &
  RotateTokenDeps &
  EndGracePeriodDeps & { config: Pick<Config, 'tokens'> };

/**
 * The token endpoints: list, create, update, delete, rotate, and end a rotation's grace period. Each Lambda entry in
 * `functions/` is one of these for one scope; the authorization stack has run before any
 * handler here.
 */

function tokensPath(context: TokenEndpointContext<unknown>, serviceAccountId: string): string {
  const account = `auth/service-accounts/${encodeURIComponent(serviceAccountId)}/tokens`;
  return context.domain === undefined
    ? `/api/v1/${account}`
    : `/api/v1/domains/${encodeURIComponent(context.domain)}/${account}`;
}

/**
 * Validates the body, and its `maxRps` against this deployment's ceiling: the stage's own
 * rate limit, above which a limit could never be reached.
 */
function checkBody<T>(
  deps: Pick<TokenEndpointDeps, 'config'>,
  schema: Rule<T>,
  event: APIGatewayProxyEvent,
  errors: FieldError[],
): T | undefined {
  const json = jsonObjectBody(event, errors, {});
  const body = json === undefined ? undefined : check(schema, json, errors);
  stageMaxRps((body as { maxRps?: number | null } | undefined)?.maxRps, deps.config.tokens.maxRps, errors);
  return body;
}

/** The calling token's limits, for a token caller. */
function withCallerLimits(caller: Caller): { callerLimits?: CallerLimits } {
  const limits = limitsOf(caller);
  return limits ? { callerLimits: limits } : {};
}

/** The token name from the path, decoded and validated. */
function tokenNameOf(event: APIGatewayProxyEvent, errors: FieldError[]): { name: string } | undefined {
  const name = pathParameter(event, 'name');
  if (name === undefined && event.pathParameters?.name !== undefined) {
    errors.push({ field: 'name', message: 'is not valid percent-encoding' });
    return undefined;
  }
  return check(tokenNamePath, { name }, errors);
}

export function listTokensEndpoint(deps: TokenEndpointDeps, scope: Scope) {
  const input = (event: APIGatewayProxyEvent, errors: FieldError[]) => {
    const query = check(pageQuery, event.queryStringParameters ?? {}, errors);
    return { limit: query?.limit ?? 50, after: afterCursor(query?.nextToken, errors) };
  };
  return tokenEndpoint(deps, { scope, input }).handler(async (_event, context) => {
    const page = await listTokens(deps, context.serviceAccount.id, context.input.limit, context.input.after);
    return jsonResponse(200, page);
  });
}

type CreateInput = {
  name: string;
  maxRps?: number | null;
  expiresAt?: string | null;
  scopes?: TokenScope[];
  allowedCidrs?: string[] | null;
};

async function create(
  deps: TokenEndpointDeps,
  event: APIGatewayProxyEvent,
  context: TokenEndpointContext<CreateInput>,
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
    ...(context.input.scopes === undefined ? {} : { scopes: context.input.scopes }),
    ...(context.input.allowedCidrs === undefined ? {} : { allowedCidrs: context.input.allowedCidrs }),
    accountRequiresCidrs: context.serviceAccount.requireAllowedCidrs === true,
  });
  deps.metrics.addMetric('TokenCreated', MetricUnit.Count, 1);
  const location = `${tokensPath(context, view.serviceAccountId)}/${encodeURIComponent(view.name)}`;
  return jsonResponse(201, { ...view, token }, { ...headers, Location: location });
}

export function createTokenEndpoint(deps: TokenEndpointDeps, scope: Scope) {
  const input = (event: APIGatewayProxyEvent, errors: FieldError[]) => checkBody(deps, createTokenBody, event, errors)!;
  return tokenEndpoint(deps, { scope, input }).handler(async (event, context) => create(deps, event, context));
}

/** RFC 9745 `Deprecation` value: the moment the body-parameter create was deprecated. */
export const DEPRECATED_SINCE = '@1767225600'; // 2026-01-01T00:00:00Z

export function deprecatedCreateTokenEndpoint(deps: TokenEndpointDeps, scope: Scope) {
  const input = (event: APIGatewayProxyEvent, errors: FieldError[]) =>
    checkBody(deps, deprecatedCreateTokenBody, event, errors)!;
  return tokenEndpoint(deps, { scope, targetFrom: 'body', input }).handler(async (event, context) =>
    create(deps, event, context, {
      Deprecation: DEPRECATED_SINCE,
      Link: `<${tokensPath(context, context.serviceAccount.id)}>; rel="successor-version"`,
    }),
  );
}

export function updateTokenEndpoint(deps: TokenEndpointDeps, scope: Scope) {
  const input = (event: APIGatewayProxyEvent, errors: FieldError[]) => {
    const path = tokenNameOf(event, errors);
    const body = checkBody(deps, updateTokenBody, event, errors);
    return { name: path?.name ?? '', ...body };
  };
  return tokenEndpoint(deps, { scope, input }).handler(async (event, context) => {
    const { name, ...fields } = context.input;
    const changes = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
    // Taking a token's networks off is refused where every new token must have them.
    const required = deps.config.tokens.requireAllowedCidrs === true;
    if (fields.allowedCidrs === null) checkNetworksRequired(required, context.serviceAccount.requireAllowedCidrs, null);
    const view = await updateToken(
      deps,
      context.serviceAccount.id,
      name,
      changes as TokenUpdate,
      limitsOf(context.caller),
      changeOrigin(context.caller, requestMeta(event)),
    );
    return jsonResponse(200, view);
  });
}

export function deleteTokenEndpoint(deps: TokenEndpointDeps, scope: Scope) {
  const input = (event: APIGatewayProxyEvent, errors: FieldError[]) => ({
    name: tokenNameOf(event, errors)?.name ?? '',
  });
  return tokenEndpoint(deps, { scope, input }).handler(async (event, context) => {
    const origin = changeOrigin(context.caller, requestMeta(event));
    await deleteToken(deps, context.serviceAccount.id, context.input.name, origin);
    deps.metrics.addMetric('TokenDeleted', MetricUnit.Count, 1);
    return { statusCode: 204, headers: { 'Cache-Control': 'no-store' }, body: '' };
  });
}

/** POST …/tokens/{name}/rotate: a new secret, the old one kept for its grace period. */
export function rotateTokenEndpoint(deps: TokenEndpointDeps, scope: Scope) {
  const input = (event: APIGatewayProxyEvent, errors: FieldError[]) => {
    const path = tokenNameOf(event, errors);
    // The body is optional: none, or an empty object, rotates with the defaults.
    const json = jsonObjectBody(event, errors, {});
    const body = json === undefined || errors.length > 0 ? {} : (check(rotateTokenBody, json, errors) ?? {});
    return { name: path?.name ?? '', ...body };
  };
  return tokenEndpoint(deps, { scope, input }).handler(async (event, context) => {
    const { name, gracePeriodSeconds, force } = context.input;
    const { view, token } = await rotateToken(deps, {
      serviceAccountId: context.serviceAccount.id,
      name,
      ...(gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds }),
      force: force === true,
      requestedAt: requestedAt(event, deps.clock()),
      ...withCallerLimits(context.caller),
      origin: changeOrigin(context.caller, requestMeta(event)),
    });
    deps.metrics.addMetric('TokenRotated', MetricUnit.Count, 1);
    return jsonResponse(200, { ...view, token }, { 'Cache-Control': 'no-store' });
  });
}

/** DELETE …/tokens/{name}/previous-secret: the replaced secret stops now; the current one is not touched. */
export function endGracePeriodEndpoint(deps: TokenEndpointDeps, scope: Scope) {
  const input = (event: APIGatewayProxyEvent, errors: FieldError[]) => ({
    name: tokenNameOf(event, errors)?.name ?? '',
  });
  return tokenEndpoint(deps, { scope, input }).handler(async (event, context) => {
    const origin = changeOrigin(context.caller, requestMeta(event));
    const view = await endGracePeriod(deps, context.serviceAccount.id, context.input.name, origin);
    return jsonResponse(200, view);
  });
}
