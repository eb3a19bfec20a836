import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { lambdaHandler } from '../shared/lambda-entry.js';
import { ApiGatewayRateLimits } from '../shared/ratelimit/aws-rate-limits.js';
import { apiGatewayKeysAtInit } from '../shared/ratelimit/reconcile-wiring.js';
import { type ReconcileReport, reconcileRateLimits } from '../shared/ratelimit/reconcile.js';
import type { Runtime } from '../shared/runtime.js';

type Summary = Omit<ReconcileReport, 'drift'> & { drifted: number; unrepaired: number };

/**
 * Scheduled by the stack: repairs drift between tokens and API Gateway keys and usage
 * plans (keys left by TTL-removed tokens, failed compensations, changes made by hand).
 */
export const create = (runtime: Runtime) => {
  const { logger } = runtime;
  const { rateLimits } = runtime;
  if (!(rateLimits instanceof ApiGatewayRateLimits)) throw new Error('REST_API_ID and API_STAGE must be set to reconcile');
  return middy<unknown, Summary>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async () => {
      const report = await reconcileRateLimits({ tokens: runtime.tokens, policies: runtime.policies, rateLimits, clock: runtime.clock }, { apply: true });
      for (const drift of report.drift) {
        if (drift.repaired) logger.info('Drift repaired', { ...drift });
        else logger.error('Drift not repaired', { ...drift });
      }
      // Gauges for the quota alarms: plans and keys of ours, as listed at the start of the run.
      runtime.metrics.addMetric('UsagePlans', MetricUnit.Count, report.plans);
      runtime.metrics.addMetric('ApiKeys', MetricUnit.Count, report.keys);
      if (runtime.publish) runtime.metrics.publishStoredMetrics();
      else runtime.metrics.clearMetrics();
      const { drift, ...counts } = report;
      const summary = { ...counts, drifted: drift.length, unrepaired: drift.filter((entry) => !entry.repaired).length };
      logger.info('Reconciled keys and usage plans', summary);
      return summary;
    });
};
export const handler = lambdaHandler(create, apiGatewayKeysAtInit);
