import { testPolicyEndpoint, type PolicyEndpointDeps } from '../shared/federation/policy-endpoints.js';
import { subjectTokenVerification } from '../shared/runtime/verification-wiring.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { federationStores } from '../shared/runtime/stores.js';

export const create = (deps: PolicyEndpointDeps) => testPolicyEndpoint(deps, 'admin');
export const handler = lambdaHandler(create, federationStores, subjectTokenVerification);
