import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { TokenNotFoundError, ValidationError } from '../kernel/errors.js';
import { jsonResponse } from '../http/problem.js';
import { bodyOrThrow, readJsonBody } from '../http/json-body.js';
import { changeOrigin, requestedAt, requestMeta } from '../http/request-origin.js';
import { adminListEventsQuery, check, listEventsQuery, rotateTokenBody } from '../http/validation.js';
import { assertCredentialFitsPrincipal, callerFromEvent, type Scope } from '../middleware/authorization.js';
import { authenticatedEndpoint, tokenEndpoint } from '../middleware/token-endpoint.js';
import { toTokenView } from '../kernel/model.js';
import type { Runtime } from '../runtime/runtime.js';
import { afterCursor, encodeCursor } from '../http/cursor.js';
import { tokenServiceDeps } from './deps.js';
import { tokenNameOf, withCallerLimits } from './endpoints.js';
import { rotateToken } from './rotate-token.js';

/**
 * The lifecycle endpoints: rotation, the audit trail, and a token's view of itself. The
 * first two run the token endpoints' authorization stack; the last needs only a caller
 * authenticated by a token.
 */

export function rotateTokenEndpoint(runtime: Runtime, scope: Scope) {
  const deps = tokenServiceDeps(runtime);
  return tokenEndpoint(runtime, {
    scope,
    input: (event, errors) => {
      const path = tokenNameOf(event, errors);
      // The body is optional: none, or an empty object, rotates with the defaults.
      const json = bodyOrThrow(readJsonBody(event.body, event.headers?.['content-type']), errors);
      if (json !== undefined && (typeof json !== 'object' || json === null || Array.isArray(json)))
        errors.push({ field: 'body', message: 'must be a JSON object' });
      const body = json === undefined || errors.length > 0 ? {} : (check(rotateTokenBody, json, errors) ?? {});
      return { name: path?.name ?? '', ...body };
    },
  }).handler(async (event, context) => {
    const { view, token } = await rotateToken(deps, {
      serviceAccountId: context.serviceAccount.id,
      name: context.input.name,
      ...(context.input.gracePeriodSeconds === undefined
        ? {}
        : { gracePeriodSeconds: context.input.gracePeriodSeconds }),
      force: context.input.force === true,
      requestedAt: requestedAt(event, runtime.clock()),
      ...withCallerLimits(context.caller),
      origin: changeOrigin(context.caller, requestMeta(event)),
    });
    runtime.metrics.addMetric('TokenRotated', MetricUnit.Count, 1);
    return jsonResponse(200, { ...view, token }, { 'Cache-Control': 'no-store' });
  });
}

/**
 * The audit trail of the account's incarnation: the current one, or on the admin path the
 * one `incarnation` names (the target the checks saw is then the account as it was).
 */
export function listTokenEventsEndpoint(runtime: Runtime, scope: Scope) {
  return tokenEndpoint(runtime, {
    scope,
    pastIncarnations: scope === 'admin',
    input: (event, errors) => {
      const schema = scope === 'admin' ? adminListEventsQuery : listEventsQuery;
      const query = check(schema, event.queryStringParameters ?? {}, errors);
      return {
        limit: query?.limit ?? 50,
        afterId: afterCursor(query?.nextToken, errors),
        tokenName: query?.tokenName,
        type: query?.type,
      };
    },
  }).handler(async (_event, context) => {
    const { limit, afterId, tokenName, type } = context.input;
    const page = await runtime.events.list(context.serviceAccount.id, {
      incarnation: context.serviceAccount.incarnation,
      limit,
      ...(afterId === undefined ? {} : { afterId }),
      ...(tokenName === undefined ? {} : { tokenName }),
      ...(type === undefined ? {} : { type }),
    });
    return jsonResponse(200, {
      events: page.events,
      nextToken: page.lastId === undefined ? null : encodeCursor(page.lastId),
    });
  });
}

/** The calling token's own view: what a pipeline asks to learn when its token expires. */
export function selfTokenEndpoint(runtime: Runtime) {
  return authenticatedEndpoint(runtime).handler(async (event: APIGatewayProxyEvent) => {
    const caller = callerFromEvent(event);
    if (caller.authenticatedBy !== 'ACCESS_TOKEN' || caller.tokenName === undefined) {
      throw new ValidationError([
        {
          field: 'Authorization',
          message: 'this endpoint describes the calling access token: call it with a token, not a JWT',
        },
      ]);
    }
    const [principal, token] = await Promise.all([
      runtime.directory.getPrincipal(caller.userId),
      runtime.tokens.get(caller.userId, caller.tokenName),
    ]);
    assertCredentialFitsPrincipal(caller, principal);
    if (!token) throw new TokenNotFoundError();
    return jsonResponse(200, toTokenView(token, runtime.clock()));
  });
}
