import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { noStores } from '../shared/runtime/stores.js';
import { createSharedKeyPublisher, type SharedKeyPublisherDeps } from '../shared/ratelimit/publish-keys.js';

/** Deploy-time custom resource: the values of the unthrottled key and the tiers' pooled keys, copied into the table. */
export const create = (deps: SharedKeyPublisherDeps) => createSharedKeyPublisher(deps);
export const handler = lambdaHandler(create, noStores);
