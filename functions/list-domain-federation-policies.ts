import { listPoliciesEndpoint, type PolicyEndpointDeps } from '../shared/federation/policy-endpoints.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { federationStores } from '../shared/runtime/stores.js';

export const create = (deps: PolicyEndpointDeps) => listPoliciesEndpoint(deps, 'domain');
export const handler = lambdaHandler(create, federationStores);
