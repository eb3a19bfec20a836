import { jsonResponse } from '../shared/http/problem.js';
import { lambdaHandler } from '../shared/lambda-entry.js';
import { assertCredentialFitsPrincipal, callerFromEvent } from '../shared/middleware/authorization.js';
import { authenticatedEndpoint } from '../shared/middleware/token-endpoint.js';
import type { Runtime } from '../shared/runtime.js';

/** Who the caller is: any authenticated caller, by JWT or by access token. */
export const create = (runtime: Runtime) =>
  authenticatedEndpoint(runtime).handler(async (event) => {
    const caller = callerFromEvent(event);
    const principal = await runtime.directory.getPrincipal(caller.userId);
    assertCredentialFitsPrincipal(caller, principal);
    return jsonResponse(200, {
      userId: caller.userId,
      // An identity-provider user the directory does not know yet is a plain user with no grants.
      type: principal?.type ?? 'USER',
      authenticatedBy: caller.authenticatedBy,
      ...(caller.authenticatedBy === 'ACCESS_TOKEN' ? { tokenName: caller.tokenName, maxRps: caller.maxRps ?? null, expiresAt: caller.expiresAt ?? null } : {}),
    });
  });
export const handler = lambdaHandler(create);
