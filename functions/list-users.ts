import { listUsersEndpoint } from '../shared/directory/endpoints.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import type { Runtime } from '../shared/runtime/runtime.js';

export const create = (runtime: Runtime) => listUsersEndpoint(runtime);
export const handler = lambdaHandler(create);
