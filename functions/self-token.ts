import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import type { Runtime } from '../shared/runtime/runtime.js';
import { selfTokenEndpoint } from '../shared/tokens/self-token-endpoint.js';

/** The calling token's own view. */
export const create = (runtime: Runtime) => selfTokenEndpoint(runtime);
export const handler = lambdaHandler(create);
