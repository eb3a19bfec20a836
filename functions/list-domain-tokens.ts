import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import type { Runtime } from '../shared/runtime/runtime.js';
import { listTokensEndpoint } from '../shared/tokens/endpoints.js';

export const create = (runtime: Runtime) => listTokensEndpoint(runtime, 'domain');
export const handler = lambdaHandler(create);
