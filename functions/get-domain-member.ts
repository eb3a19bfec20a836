import { getMemberEndpoint } from '../shared/directory/endpoints.js';
import { lambdaHandler } from '../shared/lambda-entry.js';
import type { Runtime } from '../shared/runtime.js';

export const create = (runtime: Runtime) => getMemberEndpoint(runtime);
export const handler = lambdaHandler(create);
