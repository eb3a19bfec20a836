import type { DirectoryEndpointDeps } from '../shared/directory/endpoints.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { directoryStores } from '../shared/runtime/stores.js';
import { listIncarnationsEndpoint } from '../shared/directory/incarnations-endpoint.js';

export const create = (deps: DirectoryEndpointDeps) => listIncarnationsEndpoint(deps);
export const handler = lambdaHandler(create, directoryStores);
