import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { tokenStores } from '../shared/runtime/stores.js';
import { rotateTokenEndpoint, type TokenEndpointDeps } from '../shared/tokens/endpoints.js';

export const create = (deps: TokenEndpointDeps) => rotateTokenEndpoint(deps, 'admin');
export const handler = lambdaHandler(create, tokenStores);
