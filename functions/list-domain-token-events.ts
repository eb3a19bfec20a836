import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { auditStores } from '../shared/runtime/stores.js';
import { listTokenEventsEndpoint, type EventsEndpointDeps } from '../shared/audit/list-events-endpoint.js';

export const create = (deps: EventsEndpointDeps) => listTokenEventsEndpoint(deps, 'domain');
export const handler = lambdaHandler(create, auditStores);
