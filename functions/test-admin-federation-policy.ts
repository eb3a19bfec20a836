import { testPolicyEndpoint } from '../shared/federation/policy-endpoints.js';
import { subjectTokenVerification } from '../shared/runtime/verification-wiring.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import type { Runtime } from '../shared/runtime/runtime.js';

export const create = (runtime: Runtime) => testPolicyEndpoint(runtime, 'admin');
export const handler = lambdaHandler(create, subjectTokenVerification);
