import { createForwarder, type ForwarderDeps } from '../shared/audit/forwarder.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { noStores } from '../shared/runtime/stores.js';

/** Invoked by the table's stream with new audit events: publishes them to the stack's bus. */
export const create = (deps: ForwarderDeps) => createForwarder(deps);
export const handler = lambdaHandler(create, noStores);
