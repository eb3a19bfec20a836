import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { tokenStores } from '../shared/runtime/stores.js';
import { keyQueue } from '../shared/ratelimit/key-queue.js';
import { deleteTokenEndpoint, type TokenEndpointDeps } from '../shared/tokens/endpoints.js';

export const create = (deps: TokenEndpointDeps) => deleteTokenEndpoint(deps, 'domain');
export const handler = lambdaHandler(create, tokenStores, keyQueue);
