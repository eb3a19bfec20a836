import { whoamiOf } from '../shared/directory/capabilities.js';
import { jsonResponse } from '../shared/http/problem.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { directoryStores } from '../shared/runtime/stores.js';
import { assertCredentialFitsPrincipal, callerFromEvent } from '../shared/middleware/authorization.js';
import { authenticatedEndpoint, type EndpointDeps } from '../shared/middleware/token-endpoint.js';

/** Who the caller is, and what they may do: any authenticated caller, by JWT or by access token. */
export const create = (deps: EndpointDeps) =>
  authenticatedEndpoint(deps).handler(async (event) => {
    const caller = callerFromEvent(event);
    const principal = await deps.directory.getPrincipal(caller.userId);
    assertCredentialFitsPrincipal(caller, principal);
    return jsonResponse(200, whoamiOf(caller, principal));
  });
export const handler = lambdaHandler(create, directoryStores);
