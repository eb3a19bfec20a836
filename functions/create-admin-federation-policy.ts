import { createPolicyEndpoint } from '../shared/federation/policy-endpoints.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { keyQueue } from '../shared/ratelimit/wiring.js';
import type { Runtime } from '../shared/runtime/runtime.js';

export const create = (runtime: Runtime) => createPolicyEndpoint(runtime, 'admin');
export const handler = lambdaHandler(create, keyQueue);
