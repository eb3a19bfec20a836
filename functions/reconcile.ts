import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { lambdaHandler } from '../shared/lambda-entry.js';
import { ApiGatewayRateLimits } from '../shared/ratelimit/aws-rate-limits.js';
import { type ReconcileReport, reconcileRateLimits } from '../shared/ratelimit/reconcile.js';
import type { Runtime } from '../shared/runtime.js';

type Summary = Omit<ReconcileReport, 'drift'> & { drifted: number; unrepaired: number };

/**
 * Scheduled by the stack: repairs drift between tokens and API Gateway keys and usage
 * plans (keys left by TTL-removed tokens, failed compensations, changes made by hand).
 */
export const create = (runtime: Runtime) => {
  const { logger, rateLimits } = runtime;
  if (!(rateLimits instanceof ApiGatewayRateLimits)) throw new Error('REST_API_ID, API_STAGE and UNTHROTTLED_API_KEY_ID must be set to reconcile');
  return middy<unknown, Summary>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async () => {
      const report = await reconcileRateLimits({ tokens: runtime.tokens, rateLimits, clock: runtime.clock }, { apply: true });
      for (const drift of report.drift) {
        if (drift.repaired) logger.info('Drift repaired', { ...drift });
        else logger.error('Drift not repaired', { ...drift });
      }
      const { drift, ...counts } = report;
      const summary = { ...counts, drifted: drift.length, unrepaired: drift.filter((entry) => !entry.repaired).length };
      logger.info('Reconciled keys and usage plans', summary);
      return summary;
    });
};
export const handler = lambdaHandler(create);
