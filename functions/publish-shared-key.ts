import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { createSharedKeyPublisher } from '../shared/ratelimit/publish-shared-key.js';
import type { Runtime } from '../shared/runtime/runtime.js';

/** Deploy-time custom resource: the unthrottled key's value, copied into the table. */
export const create = (runtime: Runtime) => createSharedKeyPublisher(runtime);
export const handler = lambdaHandler(create);
