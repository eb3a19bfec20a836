import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { Config } from '../kernel/config.js';

export const SERVICE_NAME = 'service-account-tokens';
export const METRICS_NAMESPACE = 'ServiceAccountTokens';

/**
 * One logger and one metrics instance per runtime. Events are never logged whole: they
 * carry credentials (`X-API-Token`, `Authorization`) and, on create responses, the token.
 *
 * Tracing is Lambda's and API Gateway's active X-Ray tracing (the stack turns both on),
 * without the Powertools Tracer: measured, its X-Ray SDK added about 18 ms to every cold
 * start (a fifth of the whole init) for one handler subsegment (docs/performance.md).
 */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
  /** Whether metrics are written out (EMF); off locally and in tests. */
  publish: boolean;
}

export function createObservability(config: Pick<Config, 'logLevel' | 'metrics'>): Observability {
  return {
    logger: new Logger({ serviceName: SERVICE_NAME, logLevel: config.logLevel }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
    publish: config.metrics,
  };
}

/** Logging and metrics context, first in every stack. */
export function observability(o: Observability): MiddlewareObj[] {
  return [injectLambdaContext(o.logger, { resetKeys: true }) as MiddlewareObj, publishMetrics(o)];
}

/**
 * Flushes the metrics a request added. Unlike Powertools' `logMetrics`, it stays silent
 * when there are none: most requests add none, and a warning each time is only noise.
 */
function publishMetrics(o: Observability): MiddlewareObj {
  const flush = () => {
    if (!o.metrics.hasStoredMetrics()) return;
    if (o.publish) o.metrics.publishStoredMetrics();
    else o.metrics.clearMetrics();
  };
  return { after: flush, onError: flush };
}
