import { Logger } from '@aws-lambda-powertools/logger';
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
  return [logContext(o.logger), publishMetrics(o)];
}

/**
 * The invocation's Lambda context on every log line (request id, function, cold start),
 * and temporary keys dropped after it: what Powertools' `injectLambdaContext` does here,
 * without what this service does not use and every invocation paid for. That middleware
 * also draws the debug sampling rate again (no function sets one), can log the whole event
 * when POWERTOOLS_LOGGER_LOG_EVENT is set (events carry credentials: never, whatever the
 * environment says), and copies Middy's internal state for a clean-up that only its own
 * early-returning middlewares call. Every function, HTTP or not, takes its context here.
 */
export function logContext(logger: Logger): MiddlewareObj {
  const reset = () => {
    logger.resetKeys();
  };
  return {
    before: ({ context }) => {
      logger.addContext(context);
    },
    after: reset,
    onError: reset,
  };
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
