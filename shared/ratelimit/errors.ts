const nameOf = (error: unknown) => (error as { name?: string })?.name;

export const isNotFound = (error: unknown): boolean => nameOf(error) === 'NotFoundException';
export const isConflict = (error: unknown): boolean => nameOf(error) === 'ConflictException';

/**
 * API Gateway's "slow down" answers: a rate quota (TooManyRequestsException), a quota the
 * SDK documents as a rate too (LimitExceededException, also what a full account of keys
 * is answered with), or its own trouble. Each is waited out and tried again.
 */
export const isThrottled = (error: unknown): boolean =>
  ['TooManyRequestsException', 'LimitExceededException', 'ServiceUnavailableException'].includes(nameOf(error) ?? '');

/** How long API Gateway asked to wait (`retryAfterSeconds`, a string, often absent), in ms. */
export function retryAfterMs(error: unknown): number {
  const seconds = Number((error as { retryAfterSeconds?: string })?.retryAfterSeconds);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}
