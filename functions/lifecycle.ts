import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { logContext } from '../shared/http/observability.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { lifecycleStores } from '../shared/runtime/stores.js';
import { type LifecycleReport, runLifecycle } from '../shared/lifecycle/job.js';
import type { Base } from '../shared/runtime/base.js';

/**
 * Scheduled by the stack (hourly): sends the expiry notices due and, when the stage
 * enables it, suspends tokens unused for too long. A retried or overlapping run changes
 * nothing twice (see shared/lifecycle/job.ts).
 */
export const create = (runtime: Base & ReturnType<typeof lifecycleStores>) => {
  const { logger, metrics } = runtime;
  return middy<unknown, LifecycleReport>()
    .use(logContext(logger))
    .handler(async () => {
      const report = await runLifecycle({
        lifecycle: runtime.lifecycle,
        clock: runtime.clock,
        ids: runtime.ids,
        suspendUnusedAfterDays: runtime.config.lifecycle.suspendUnusedAfterDays,
      });
      metrics.addMetric('ExpiryNotices', MetricUnit.Count, report.expiring + report.expired);
      metrics.addMetric('SuspendedUnused', MetricUnit.Count, report.suspendedUnused);
      if (runtime.publish) metrics.publishStoredMetrics();
      else metrics.clearMetrics();
      logger.info('Lifecycle pass done', { ...report });
      return report;
    });
};
export const handler = lambdaHandler(create, lifecycleStores);
