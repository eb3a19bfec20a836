import { lambdaHandler } from '../shared/lambda-entry.js';
import type { Runtime } from '../shared/runtime.js';
import { listIncarnationsEndpoint } from '../shared/tokens/incarnations-endpoint.js';

export const create = (runtime: Runtime) => listIncarnationsEndpoint(runtime);
export const handler = lambdaHandler(create);
