import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { createSharedKeyPublisher } from '../shared/ratelimit/publish-keys.js';
import type { Runtime } from '../shared/runtime/runtime.js';

/** Deploy-time custom resource: the values of the unthrottled key and the tiers' pooled keys, copied into the table. */
export const create = (runtime: Runtime) => createSharedKeyPublisher(runtime);
export const handler = lambdaHandler(create);
