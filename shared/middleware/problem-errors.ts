import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  InsufficientScopeError,
  ProblemError,
  ServiceUnavailableError,
  SignatureInvalidError,
  UnauthorizedError,
  ValidationError,
} from '../kernel/errors.js';
import { problem, problemResponse } from '../http/problem.js';
import { bearerChallenge, SIGNATURE_CHALLENGE } from '../http/www-authenticate.js';
import { isRetryableAwsError } from '../dynamodb/client.js';

/** Every 401 says how to authenticate (RFC 9110 §11.6.1), in the service's own words. */
function challenge(error: ProblemError): Record<string, string> {
  if (error.status !== 401) return {};
  if (error instanceof SignatureInvalidError) return { 'WWW-Authenticate': SIGNATURE_CHALLENGE };
  return { 'WWW-Authenticate': bearerChallenge(error instanceof UnauthorizedError ? error.reason : 'missing') };
}

/**
 * The one place errors become HTTP responses. Domain errors carry their status and
 * code; a retryable AWS failure becomes 503 with `Retry-After`; anything else is a bug,
 * logged in full here and answered with a generic 500 that names only the request id.
 */
export function problemErrors(
  logger: Logger,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context> {
  return {
    onError: async (request) => {
      const error = request.error;
      const requestId = request.context?.awsRequestId;
      if (error instanceof ProblemError) {
        if (error.status >= 500) logger.error('Request failed', { error: error.cause ?? error, code: error.code });
        else logger.info('Request refused', { code: error.code, status: error.status });
        request.response = problemResponse(
          problem(error.status, error.code, error.title, error.detail, {
            ...(error instanceof ValidationError ? { errors: error.errors } : {}),
            ...(error instanceof InsufficientScopeError ? { requiredScope: error.requiredScope } : {}),
            ...(error.status >= 500 ? { requestId } : {}),
          }),
          error.status === 503 || error.code === 'CONCURRENT_UPDATE' ? { 'Retry-After': '1' } : challenge(error),
        );
        return;
      }
      if (isRetryableAwsError(error)) {
        logger.error('Dependency failed', { error });
        const unavailable = new ServiceUnavailableError();
        request.response = problemResponse(
          problem(unavailable.status, unavailable.code, unavailable.title, unavailable.detail, { requestId }),
          { 'Retry-After': '1' },
        );
        return;
      }
      logger.error('Unexpected error', { error });
      request.response = problemResponse(
        problem(
          500,
          'INTERNAL_ERROR',
          'Internal error',
          `An unexpected error occurred; quote request id ${requestId} when reporting it.`,
          {
            requestId,
          },
        ),
      );
    },
  };
}
