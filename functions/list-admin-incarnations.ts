import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import type { Runtime } from '../shared/runtime/runtime.js';
import { listIncarnationsEndpoint } from '../shared/directory/incarnations-endpoint.js';

export const create = (runtime: Runtime) => listIncarnationsEndpoint(runtime);
export const handler = lambdaHandler(create);
