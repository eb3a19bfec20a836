import { testPolicyEndpoint } from '../shared/federation/policy-endpoints.js';
import { subjectTokenVerification } from '../shared/federation/verification-wiring.js';
import { lambdaHandler } from '../shared/lambda-entry.js';
import type { Runtime } from '../shared/runtime.js';

export const create = (runtime: Runtime) => testPolicyEndpoint(runtime, 'admin');
export const handler = lambdaHandler(create, subjectTokenVerification);
