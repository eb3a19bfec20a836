import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { tokenStores } from '../shared/runtime/stores.js';
import { selfTokenEndpoint, type SelfTokenDeps } from '../shared/tokens/self-token-endpoint.js';

/** The calling token's own view. */
export const create = (deps: SelfTokenDeps) => selfTokenEndpoint(deps);
export const handler = lambdaHandler(create, tokenStores);
