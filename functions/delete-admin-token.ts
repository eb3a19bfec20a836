import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { keyQueue } from '../shared/ratelimit/wiring.js';
import type { Runtime } from '../shared/runtime/runtime.js';
import { deleteTokenEndpoint } from '../shared/tokens/endpoints.js';

export const create = (runtime: Runtime) => deleteTokenEndpoint(runtime, 'admin');
export const handler = lambdaHandler(create, keyQueue);
