import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { config } from '../shared/config.js';
import { logger } from '../shared/middleware/observability.js';
import { type ReconcileReport, reconcileRateLimits } from '../shared/ratelimit/reconcile.js';
import { getRuntime } from '../shared/runtime.js';
import { createDocumentClient } from '../shared/store/dynamodb.js';

/**
 * Scheduled by the stack: repairs drift between tokens and API Gateway keys and usage
 * plans (keys left by TTL-removed tokens, failed compensations, changes made by hand).
 */
export const handler = middy<unknown, Omit<ReconcileReport, 'drift'> & { drifted: number; unrepaired: number }>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => {
    const runtime = getRuntime();
    if (!runtime.rateLimits) throw new Error('REST_API_ID, API_STAGE and UNTHROTTLED_API_KEY_ID must be set to reconcile');
    const report = await reconcileRateLimits(
      { documents: createDocumentClient(), tableName: config().tableName, tokens: runtime.tokens, rateLimits: runtime.rateLimits },
      { apply: true },
    );
    for (const drift of report.drift) {
      if (drift.repaired) logger.info('Drift repaired', { ...drift });
      else logger.error('Drift not repaired', { ...drift });
    }
    const { drift, ...counts } = report;
    const summary = { ...counts, drifted: drift.length, unrepaired: drift.filter((entry) => !entry.repaired).length };
    logger.info('Reconciled keys and usage plans', summary);
    return summary;
  });
