import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { jsonResponse } from '../http/problem.js';
import { bodyOrThrow, readJsonBody } from '../http/json-body.js';
import { changeOrigin, requestedAt, requestMeta } from '../http/request-origin.js';
import { check, rotateTokenBody } from '../http/validation.js';
import type { Scope } from '../middleware/authorization.js';
import { tokenEndpoint } from '../middleware/token-endpoint.js';
import { tokenServiceDeps } from './deps.js';
import { type TokenEndpointDeps, tokenNameOf, withCallerLimits } from './endpoints.js';
import { rotateToken } from './rotate-token.js';

/** POST …/tokens/{name}/rotate: a new secret, the old one kept for its grace period. */
export function rotateTokenEndpoint(parts: TokenEndpointDeps, scope: Scope) {
  const deps = tokenServiceDeps(parts);
  return tokenEndpoint(parts, {
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
      requestedAt: requestedAt(event, parts.clock()),
      ...withCallerLimits(context.caller),
      origin: changeOrigin(context.caller, requestMeta(event)),
    });
    parts.metrics.addMetric('TokenRotated', MetricUnit.Count, 1);
    return jsonResponse(200, { ...view, token }, { 'Cache-Control': 'no-store' });
  });
}
