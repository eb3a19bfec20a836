import { getUserEndpoint, type DirectoryEndpointDeps } from '../shared/directory/endpoints.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { directoryStores } from '../shared/runtime/stores.js';

export const create = (deps: DirectoryEndpointDeps) => getUserEndpoint(deps);
export const handler = lambdaHandler(create, directoryStores);
