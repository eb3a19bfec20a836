import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { apiGatewayRateLimitsOnFirstUse } from './aws-wiring.js';
import { type ReconcileReport, reconcileRateLimits } from './reconcile.js';
import type { TableClients } from '../dynamodb/client.js';
import type { PolicyStore } from '../federation/ports.js';
import type { Config } from '../kernel/config.js';
import type { Clock } from '../kernel/ports.js';
import type { Observability } from '../http/observability.js';
import type { TokenStore } from '../tokens/ports.js';

/** What the scheduled reconcile uses. */
export type ReconcileDeps = Observability &
  TableClients & { config: Config; tokens: TokenStore; policies: PolicyStore; clock: Clock };

type Summary = Omit<ReconcileReport, 'drift'> & { drifted: number; unrepaired: number };

/**
 * Scheduled by the stack: repairs drift between tokens and API Gateway keys and usage
 * plans (keys left by TTL-removed tokens, failed compensations, changes made by hand).
 */
export function scheduledReconcile(parts: ReconcileDeps) {
  const { logger, config } = parts;
  const { apiGateway } = config;
  if (!apiGateway) throw new Error('REST_API_ID and API_STAGE must be set to reconcile');
  // The adapter and the API Gateway SDK load on the first run, not at init, as on the
  // request path; a load that failed is tried again by the next run.
  const adapter = apiGatewayRateLimitsOnFirstUse(config, apiGateway, parts);
  return middy<unknown, Summary>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async () => {
      const rateLimits = await adapter();
      const report = await reconcileRateLimits(
        { tokens: parts.tokens, policies: parts.policies, rateLimits, clock: parts.clock },
        { apply: true },
      );
      for (const drift of report.drift) {
        if (drift.repaired) logger.info('Drift repaired', { ...drift });
        else logger.error('Drift not repaired', { ...drift });
      }
      // Gauges for the quota alarms: plans and keys of ours, as listed at the start of the run.
      parts.metrics.addMetric('UsagePlans', MetricUnit.Count, report.plans);
      parts.metrics.addMetric('ApiKeys', MetricUnit.Count, report.keys);
      if (parts.publish) parts.metrics.publishStoredMetrics();
      else parts.metrics.clearMetrics();
      const { drift, ...counts } = report;
      const summary = { ...counts, drifted: drift.length, unrepaired: drift.filter((entry) => !entry.repaired).length };
      logger.info('Reconciled keys and usage plans', summary);
      return summary;
    });
}
