import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import type { Runtime } from '../shared/runtime/runtime.js';
import { listTokenEventsEndpoint } from '../shared/audit/list-events-endpoint.js';

export const create = (runtime: Runtime) => listTokenEventsEndpoint(runtime, 'domain');
export const handler = lambdaHandler(create);
