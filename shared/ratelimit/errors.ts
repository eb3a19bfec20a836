import { ServiceUnavailableError } from '../kernel/errors.js';

export function isNotFound(error: unknown): boolean {
  return (error as { name?: string })?.name === 'NotFoundException';
}

/** API Gateway's "slow down" answers become the domain's retryable 503. */
export function asServiceError(error: unknown): unknown {
  const name = (error as { name?: string })?.name;
  if (
    name === 'TooManyRequestsException' ||
    name === 'LimitExceededException' ||
    name === 'ServiceUnavailableException'
  ) {
    return new ServiceUnavailableError({ cause: error });
  }
  return error;
}
