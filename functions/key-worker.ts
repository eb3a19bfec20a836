import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { createKeyWorker } from '../shared/ratelimit/key-worker-handler.js';
import type { Runtime } from '../shared/runtime/runtime.js';

/** The one consumer of the key queue: makes, moves and deletes API keys at a paced rate. */
export const create = (runtime: Runtime) => createKeyWorker(runtime);
export const handler = lambdaHandler(create);
