import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'service-account-tokens';

/**
 * One logger and one metrics instance per Lambda. Events are never logged whole: they
 * carry credentials (`X-API-Token`, `Authorization`) and, on create responses, the token.
 *
 * Tracing is Lambda's and API Gateway's active X-Ray tracing (the stack turns both on),
 * without the Powertools Tracer: measured, its X-Ray SDK added about 18 ms to every cold
 * start (a fifth of the whole init) for one handler subsegment (docs/performance.md).
 */
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ServiceAccountTokens', serviceName });

/** Logging and metrics context, first in every stack. */
export function observability(): MiddlewareObj[] {
  return [
    injectLambdaContext(logger, { resetKeys: true }) as MiddlewareObj,
    publishMetrics(),
  ];
}

/**
 * Flushes the metrics a request added. Unlike Powertools' `logMetrics`, it stays silent
 * when there are none: most requests add none, and a warning each time is only noise.
 */
function publishMetrics(): MiddlewareObj {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
}
