import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../kernel/config.js';
import type { Clock } from '../kernel/ports.js';
import type { Observability } from '../http/observability.js';
import { ApiGateway } from './api-gateway.mjs';
import { QueuedKeyChanges } from './key-queue.js';
import { Pacer } from './pacer.js';
import { type ReconcileParts, type ReconcileReport, reconcileRateLimits, underLease } from './reconcile.js';
import { PublishedUsageKeys } from './usage-keys.js';

/** What the scheduled reconcile uses. */
export type ReconcileDeps = Observability & { config: Config; documents: DynamoDBDocumentClient; clock: Clock };

/** Reconcile's share of the account's control-plane quota, beside the worker's. */
const RECONCILE_CALLS_PER_SECOND = 1;

/** Reconcile's parts in AWS, from the function's configuration. */
export function reconcileParts(
  deps: ReconcileDeps,
  gateway = ApiGateway.forRegion(deps.config.region),
): ReconcileParts {
  const { config } = deps;
  const settings = config.apiGateway;
  if (!settings?.keyQueueUrl) throw new Error('REST_API_ID, API_STAGE and KEY_QUEUE_URL must be set to reconcile');
  return {
    documents: deps.documents,
    tableName: config.tableName,
    gateway,
    pacer: new Pacer({ callsPerSecond: RECONCILE_CALLS_PER_SECOND }),
    stage: settings,
    tierPlans: settings.tierPlans,
    queue: new QueuedKeyChanges(new SQSClient({ region: config.region }), settings.keyQueueUrl, deps.clock),
    clock: deps.clock,
  };
}

type Summary = Omit<ReconcileReport, 'drift'> & { drifted: number; unrepaired: number };

/**
 * Scheduled by the stack (hourly): one run at a time (a lease), it queues what is out of
 * step for the key worker and publishes the account's key count, for the key quota alarm,
 * and its own completion: a run that fails, or does not run, is missing data, which the
 * reconcile alarm counts as a failure.
 */
export function scheduledReconcile(deps: ReconcileDeps, parts: ReconcileParts = reconcileParts(deps)) {
  const { logger, metrics } = deps;
  return middy<unknown, Summary | { skipped: true }>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async () => {
      // TIER_PLANS when set (a script), else as published at deploy time: none fails the run.
      const published = new PublishedUsageKeys(parts.documents, parts.tableName);
      const tierPlans = parts.tierPlans.size > 0 ? parts.tierPlans : await published.tierPlans();
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
