import { createForwarder } from '../shared/audit/forwarder.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import type { Runtime } from '../shared/runtime/runtime.js';

/** Invoked by the table's stream with new audit events: publishes them to the stack's bus. */
export const create = (runtime: Runtime) => createForwarder(runtime);
export const handler = lambdaHandler(create);
