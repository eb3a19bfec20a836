import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { tokenStores } from '../shared/runtime/stores.js';
import { keyQueue } from '../shared/ratelimit/key-queue.js';
import { updateTokenEndpoint, type TokenEndpointDeps } from '../shared/tokens/endpoints.js';

export const create = (deps: TokenEndpointDeps) => updateTokenEndpoint(deps, 'admin');
export const handler = lambdaHandler(create, tokenStores, keyQueue);
