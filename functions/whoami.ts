import { whoamiOf } from '../shared/directory/capabilities.js';
import type { Config } from '../shared/kernel/config.js';
import { jsonResponse } from '../shared/http/problem.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { directoryStores } from '../shared/runtime/stores.js';
import { assertCredentialFitsPrincipal } from '../shared/middleware/authorization.js';
import { authenticatedEndpoint, type EndpointDeps } from '../shared/middleware/token-endpoint.js';

/** Who the caller is, what they may do, and the deployment's token settings: any authenticated caller. */
export const create = (deps: EndpointDeps & { config: Pick<Config, 'tokens'> }) =>
  authenticatedEndpoint(deps).handler(async (_event, { caller }) => {
    const principal = await deps.directory.getPrincipal(caller.userId);
    assertCredentialFitsPrincipal(caller, principal);
    return jsonResponse(200, whoamiOf(caller, principal, deps.config));
  });
export const handler = lambdaHandler(create, directoryStores);
