import { createPolicyEndpoint, type PolicyEndpointDeps } from '../shared/federation/policy-endpoints.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { federationStores } from '../shared/runtime/stores.js';
import { keyQueue } from '../shared/ratelimit/key-queue.js';

export const create = (deps: PolicyEndpointDeps) => createPolicyEndpoint(deps, 'admin');
export const handler = lambdaHandler(create, federationStores, keyQueue);
