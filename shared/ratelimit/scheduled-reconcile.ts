import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { logContext } from '../http/observability.js';
import type { ApiGateway } from './api-gateway.mjs';
import { builtOnFirstCall } from './first-call.js';
import { QueuedKeyChanges, sqsOnFirstCall } from './key-queue.js';
import type { KeyWorkerDeps } from './key-worker-handler.js';
import { Pacer } from './pacer.js';
import { type ReconcileParts, type ReconcileReport, reconcileRateLimits, underLease } from './reconcile.js';
import { PublishedUsageKeys } from './usage-keys.js';

export type ReconcileDeps = KeyWorkerDeps;

/** Reconcile's share of the account's control-plane quota, beside the worker's. */
const RECONCILE_CALLS_PER_SECOND = 1;

/**
 * Reconcile's parts in AWS, from the function's configuration (checked here, at init). Its
 * API Gateway and SQS clients are built by the first run: init builds only the table's.
 */
export function reconcileParts(
  deps: ReconcileDeps,
  gateway: Pick<ApiGateway, 'send'> = builtOnFirstCall(async () => {
    const { ApiGateway } = await import('./api-gateway.mjs');
    return new ApiGateway({ region: deps.config.region });
  }),
) {
  const { config, documents, clock } = deps;
  const settings = config.apiGateway;
  if (!settings?.keyQueueUrl) throw new Error('REST_API_ID, API_STAGE and KEY_QUEUE_URL must be set to reconcile');
  const queue = new QueuedKeyChanges(sqsOnFirstCall(config.region), settings.keyQueueUrl, clock);
  const pacer = new Pacer({ callsPerSecond: RECONCILE_CALLS_PER_SECOND });
  return {
    documents,
    tableName: config.tableName,
    gateway,
    pacer,
    stage: settings,
    tierPlans: settings.tierPlans,
    queue,
    clock,
  };
}

/**
 * Scheduled by the stack (hourly): one run at a time (a lease), it queues what is out of
 * step for the key worker and publishes the account's key count, for the key quota alarm,
 * and its own completion: a run that fails, or does not run, is missing data, which the
 * reconcile alarm counts as a failure.
 */
export function scheduledReconcile(deps: ReconcileDeps, parts: ReconcileParts = reconcileParts(deps)) {
  const { logger, metrics } = deps;
  type Summary = Omit<ReconcileReport, 'drift'> & { drifted: number; unrepaired: number };
  return middy<unknown, Summary | { skipped: true }>()
    .use(logContext(logger))
    .handler(async () => {
      const tierPlans = await new PublishedUsageKeys(parts.documents, parts.tableName).tierPlans(parts.tierPlans);
      const report = await underLease(parts, () => reconcileRateLimits({ ...parts, tierPlans }, { apply: true }));
      if (!report) {
        logger.info('Another reconcile holds the lease');
        return { skipped: true };
      }
      for (const drift of report.drift) {
        if (drift.queued) logger.info('Drift queued for the key worker', { ...drift });
        else logger.error('Drift not repaired', { ...drift });
      }
      metrics.addMetric('RegionApiKeys', MetricUnit.Count, report.regionKeys);
      metrics.addMetric('OwnApiKeys', MetricUnit.Count, report.ownKeys);
      metrics.addMetric('RateLimitedOwners', MetricUnit.Count, report.limited);
      metrics.addMetric('ReconcileCompleted', MetricUnit.Count, 1);
      if (deps.publish) metrics.publishStoredMetrics();
      else metrics.clearMetrics();
      const { drift, ...counts } = report;
      const summary = { ...counts, drifted: drift.length, unrepaired: drift.filter((entry) => !entry.queued).length };
      logger.info('Reconciled keys', summary);
      return summary;
    });
}
