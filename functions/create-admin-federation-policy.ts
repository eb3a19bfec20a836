import { createPolicyEndpoint, type PolicyEndpointDeps } from '../shared/federation/policy-endpoints.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { federationStores } from '../shared/runtime/stores.js';
import { apiGatewayKeys } from '../shared/ratelimit/aws-wiring.js';

export const create = (deps: PolicyEndpointDeps) => createPolicyEndpoint(deps, 'admin');
export const handler = lambdaHandler(create, federationStores, apiGatewayKeys);
