import { whoamiOf } from '../shared/directory/capabilities.js';
import { jsonResponse } from '../shared/http/problem.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { assertCredentialFitsPrincipal, callerFromEvent } from '../shared/middleware/authorization.js';
import { authenticatedEndpoint } from '../shared/middleware/token-endpoint.js';
import type { Runtime } from '../shared/runtime/runtime.js';

/** Who the caller is, and what they may do: any authenticated caller, by JWT or by access token. */
export const create = (runtime: Runtime) =>
  authenticatedEndpoint(runtime).handler(async (event) => {
    const caller = callerFromEvent(event);
    const principal = await runtime.directory.getPrincipal(caller.userId);
    assertCredentialFitsPrincipal(caller, principal);
    return jsonResponse(200, whoamiOf(caller, principal));
  });
export const handler = lambdaHandler(create);
