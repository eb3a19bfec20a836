import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'service-account-tokens';

/**
 * One logger, metrics and tracer per Lambda. Events are never logged whole: they carry
 * credentials (`X-API-Token`, `Authorization`) and, on create responses, the token.
 */
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ServiceAccountTokens', serviceName });
export const tracer = new Tracer({ serviceName, captureHTTPsRequests: false });

/** Logging, metrics and tracing context, first in every stack. */
export function observability(): MiddlewareObj[] {
  return [
    captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj,
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
