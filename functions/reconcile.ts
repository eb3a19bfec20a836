import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { reconcileStores } from '../shared/runtime/stores.js';
import { scheduledReconcile } from '../shared/ratelimit/scheduled-reconcile.js';

/**
 * Scheduled by the stack: repairs drift between tokens and API Gateway keys and usage
 * plans (keys left by TTL-removed tokens, failed compensations, changes made by hand).
 */
export const create = scheduledReconcile;
export const handler = lambdaHandler(create, reconcileStores);
