import { listPoliciesEndpoint } from '../shared/federation/policy-endpoints.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import type { Runtime } from '../shared/runtime/runtime.js';

export const create = (runtime: Runtime) => listPoliciesEndpoint(runtime, 'admin');
export const handler = lambdaHandler(create);
