import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { tokenStores } from '../shared/runtime/stores.js';
import { listTokensEndpoint, type TokenEndpointDeps } from '../shared/tokens/endpoints.js';

export const create = (deps: TokenEndpointDeps) => listTokensEndpoint(deps, 'admin');
export const handler = lambdaHandler(create, tokenStores);
