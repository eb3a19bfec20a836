import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { noStores } from '../shared/runtime/stores.js';
import { createKeyWorker, type KeyWorkerDeps } from '../shared/ratelimit/key-worker-handler.js';

/** The one consumer of the key queue: makes, moves and deletes API keys at a paced rate. */
export const create = (deps: KeyWorkerDeps) => createKeyWorker(deps);
export const handler = lambdaHandler(create, noStores);
