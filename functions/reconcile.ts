import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { noStores } from '../shared/runtime/stores.js';
import { type ReconcileDeps, scheduledReconcile } from '../shared/ratelimit/scheduled-reconcile.js';

/**
 * Scheduled by the stack: finds tokens and policies whose keys are out of step with API
 * Gateway (lost messages, keys left by TTL-removed tokens, changes made by hand) and
 * queues them for the key worker; publishes the account's key count.
 */
export const create = (deps: ReconcileDeps) => scheduledReconcile(deps);
export const handler = lambdaHandler(create, noStores);
