import { getPolicyEndpoint } from '../shared/federation/policy-endpoints.js';
import { lambdaHandler } from '../shared/lambda-entry.js';
import type { Runtime } from '../shared/runtime.js';

export const create = (runtime: Runtime) => getPolicyEndpoint(runtime, 'admin');
export const handler = lambdaHandler(create);
