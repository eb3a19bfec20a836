import middy from '@middy/core';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { type RunningGateway, startLocalGateway } from '../infra/local/gateway.js';
import { usagePlanAdmission } from '../infra/local/gateway-authorizer.js';
import { routes } from '../infra/routes.js';
import { allow } from '../shared/auth/authorizer.js';
import { observability } from '../shared/http/observability.js';
import type { Runtime } from '../shared/runtime/runtime.js';

/**
 * The plumbing: what a token-authenticated call costs before any of the service's logic.
 * A second local gateway, in the service's own process, serves whoami's route alone,
 * behind an authorizer and a function that are Middy handlers with the observability
 * middlewares every function has, and that do the floor's work and no more: the
 * credential's read, the usage key named, the principal's read, the floor's answer.
 * No hash, no check, no claim of the caller's; the usage plans still admit each request.
 *
 * Against the floor it is the most the token path can read as the service runs locally
 * (every function in one process, behind the gateway's stand-in); the token path against
 * the floor, beside it, is that plus what the service's own logic costs.
 */

const PLUMBING_ROUTE = routes.find((route) => route.id === 'whoami')!;

/** The authorizer's part: one read, an Allow with the caller's id, and the usage key. */
function plumbingAuthorizer(runtime: Runtime) {
  return middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>()
    .use(observability(runtime))
    .handler(async (event) => {
      // As the floor takes it: the lookup id's place in the token, unchecked, from the
      // header as the benchmark sends it (API Gateway passes names as sent; no search).
      const lookupId = String(event.headers?.['x-api-token'] ?? '').slice(7, 23);
      const credential = await runtime.credentials.getCredential(lookupId);
      // API Gateway's answer to a thrown Unauthorized (401), so a bad token is no 5xx.
      if (!credential) throw new Error('Unauthorized');
      const caller = { userId: credential.serviceAccountId, authenticatedBy: 'ACCESS_TOKEN' as const };
      const holder = { maxRps: credential.maxRps, lookupId, key: {} };
      // The service's own Allow, so the gateway judges the same policy; the context, only the id.
      const usageKey = await runtime.usageKeys.keyFor(holder, runtime.clock());
      return allow({ caller, holder }, event.methodArn, usageKey, { userId: caller.userId });
    });
}

/** The function's part: one read, and the floor's answer. */
function plumbingWhoami(runtime: Runtime) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(observability(runtime))
    .handler(async (event) => {
      const userId = String(event.requestContext.authorizer?.userId ?? '');
      const principal = await runtime.directory.getPrincipal(userId);
      const body = JSON.stringify({ userId, type: principal?.type });
      return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body };
    });
}

/** The plumbing's gateway, on a port of its own, admitting requests as the service's gateway does. */
export async function startPlumbing(runtime: Runtime): Promise<RunningGateway> {
  const gateway = await startLocalGateway({ routes: [PLUMBING_ROUTE], port: 0 });
  const admit = usagePlanAdmission(runtime.usageKeys);
  gateway.deploy({
    handlers: { [PLUMBING_ROUTE.id]: plumbingWhoami(runtime) },
    authorizer: plumbingAuthorizer(runtime),
    clock: runtime.clock,
    ...(admit ? { admit } : {}),
  });
  return gateway;
}
