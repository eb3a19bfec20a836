import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { keyQueue } from '../shared/ratelimit/wiring.js';
import type { Runtime } from '../shared/runtime/runtime.js';
import { createTokenEndpoint } from '../shared/tokens/endpoints.js';

export const create = (runtime: Runtime) => createTokenEndpoint(runtime, 'admin');
export const handler = lambdaHandler(create, keyQueue);
