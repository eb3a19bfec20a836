import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import type { Runtime } from '../shared/runtime/runtime.js';
import { rotateTokenEndpoint } from '../shared/tokens/endpoints.js';

export const create = (runtime: Runtime) => rotateTokenEndpoint(runtime, 'admin');
export const handler = lambdaHandler(create);
