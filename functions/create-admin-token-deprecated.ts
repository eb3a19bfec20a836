import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { tokenStores } from '../shared/runtime/stores.js';
import { keyQueue } from '../shared/ratelimit/key-queue.js';
import { deprecatedCreateTokenEndpoint, type TokenEndpointDeps } from '../shared/tokens/endpoints.js';

/** Deprecated: the service account id comes in the body. Answers with Deprecation and Link headers. */
export const create = (deps: TokenEndpointDeps) => deprecatedCreateTokenEndpoint(deps, 'admin');
export const handler = lambdaHandler(create, tokenStores, keyQueue);
