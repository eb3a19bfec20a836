import { AUTH_FAILURE_DETAILS, type AuthFailure } from './auth-failures.js';

/**
 * Domain errors. Each carries the HTTP status and the problem `code` the API documents
 * (docs/api.md, "Errors", and docs/openapi.json);
 * the one error middleware turns them into RFC 9457 problem JSON. Their `detail` is
 * written for the client; anything else (causes, internal messages) is never exposed.
 */
export interface FieldError {
  field: string;
  message: string;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = new.target.name;
  }
}

export class ValidationError extends ProblemError {
  constructor(readonly errors: FieldError[]) {
    super(400, 'VALIDATION_FAILED', 'Validation failed', 'The request has invalid fields; see errors.');
  }
}

export class UnsupportedMediaTypeError extends ProblemError {
  constructor() {
    super(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'Send the request body as application/json.');
  }
}

export class UnauthorizedError extends ProblemError {
  constructor(readonly reason: AuthFailure = 'missing') {
    super(401, 'UNAUTHORIZED', 'Unauthorized', AUTH_FAILURE_DETAILS[reason]);
  }
}

export class ForbiddenError extends ProblemError {
  constructor(detail = 'You do not have permission to manage access tokens here.') {
    super(403, 'FORBIDDEN', 'Forbidden', detail);
  }
}

/** A call with a secret a rotation replaced (in its grace period) that would change something. */
export class PreviousSecretReadOnlyError extends ProblemError {
  constructor() {
    super(
      403,
      'PREVIOUS_SECRET_READ_ONLY',
      'Replaced secret',
      'This secret was replaced by a rotation: until its grace period ends it may only read. ' +
        'Use the token’s current secret to change anything.',
    );
  }
}

/** A token call to one of this service's routes that needs a scope the token was not given. */
export class InsufficientScopeError extends ProblemError {
  constructor(readonly requiredScope: string) {
    super(
      403,
      'INSUFFICIENT_SCOPE',
      'Insufficient scope',
      `This call needs the scope ${requiredScope}, which the calling token does not have.`,
    );
  }
}

/**
 * A token call from outside the token's allowed networks: the authorizer allows it with the
 * token's usage key and only this refusal in its context, which every function answers
 * before anything else (shared/auth/authorizer-context.ts, decodeCaller).
 */
export class SourceIpNotAllowedError extends ProblemError {
  constructor(readonly sourceIp: string) {
    super(
      403,
      'SOURCE_IP_NOT_ALLOWED',
      'Source address not allowed',
      `This token may not be used from ${sourceIp}: the address is outside the token's allowed networks.`,
    );
  }
}

export class NotSameGroupError extends ProblemError {
  constructor() {
    super(
      403,
      'NOT_SAME_GROUP',
      'Not in the same group',
      'You must be in the same group as this service account to view and manage tokens',
    );
  }
}

export class ServiceAccountNotFoundError extends ProblemError {
  constructor() {
    super(404, 'SERVICE_ACCOUNT_NOT_FOUND', 'Service account not found', 'No such service account here.');
  }
}

export class UserNotFoundError extends ProblemError {
  constructor() {
    super(404, 'USER_NOT_FOUND', 'User not found', 'No such user here.');
  }
}

export class TokenNotFoundError extends ProblemError {
  constructor() {
    super(404, 'TOKEN_NOT_FOUND', 'Token not found', 'This service account has no token with that name.');
  }
}

export class TokenNameTakenError extends ProblemError {
  constructor() {
    super(409, 'TOKEN_NAME_TAKEN', 'Token name taken', 'This service account already has a token with that name.');
  }
}

export class TokenLimitReachedError extends ProblemError {
  constructor(limit: number) {
    super(
      409,
      'TOKEN_LIMIT_REACHED',
      'Token limit reached',
      `This service account already has ${limit} tokens, the most allowed; delete one first.`,
    );
  }
}

/**
 * The deployment holds its most tokens (and federation policies) with a `maxRps`: each
 * needs an API Gateway key of its own, and an AWS account has 10,000 per Region.
 */
export class RateLimitCapacityReachedError extends ProblemError {
  constructor(ceiling: number) {
    super(
      409,
      'RATE_LIMIT_CAPACITY_REACHED',
      'Rate-limit capacity reached',
      `This deployment already has ${ceiling} tokens and federation policies with a maxRps, the most it holds. ` +
        'Give this one maxRps null (no limit), delete a limited token that is no longer needed, or ask the ' +
        'operators to raise the ceiling (docs/rate-limiting.md says how).',
    );
  }
}

/** A write lost a race with another write to the same token; the client may retry. */
export class ConcurrentUpdateError extends ProblemError {
  constructor(options?: { cause?: unknown }) {
    super(
      409,
      'CONCURRENT_UPDATE',
      'Concurrent update',
      'The token was changed by another request at the same time; retry the request.',
      options,
    );
  }
}

/** Attempts at a change that lost a race with another before the client is told (ConcurrentUpdateError, 409). */
export const ATTEMPTS_ON_CONFLICT = 3;

/** A rotation while the previous one's old secret still works, without `force`. */
export class RotationInProgressError extends ProblemError {
  constructor(validUntil: string) {
    super(
      409,
      'ROTATION_IN_PROGRESS',
      'Rotation in progress',
      `The secret replaced by the last rotation still works until ${validUntil}; wait for it, or rotate with ` +
        `"force": true to end it now.`,
    );
  }
}

/** Nothing to end: the token has no replaced secret whose grace period still runs. */
export class NoGracePeriodError extends ProblemError {
  constructor() {
    super(409, 'NO_GRACE_PERIOD', 'No grace period', 'No secret replaced by a rotation still works for this token.');
  }
}

/** An expired token cannot be rotated: create a new one. */
export class TokenExpiredError extends ProblemError {
  constructor() {
    super(
      409,
      'TOKEN_EXPIRED',
      'Token expired',
      'This token has expired and cannot be rotated; create a new token instead.',
    );
  }
}

/** A dependency (DynamoDB, API Gateway) failed in a way that is safe to retry. */
export class ServiceUnavailableError extends ProblemError {
  constructor(options?: { cause?: unknown }) {
    super(
      503,
      'SERVICE_UNAVAILABLE',
      'Service unavailable',
      'A dependency is temporarily unavailable; retry the request.',
      options,
    );
  }
}

/** A secret scanning report without a valid signature of the scanner: nothing in it is read. */
export class SignatureInvalidError extends ProblemError {
  constructor() {
    super(401, 'UNAUTHORIZED', 'Unauthorized', 'A valid signature is required.');
  }
}

export class PayloadTooLargeError extends ProblemError {
  constructor(limit: string) {
    super(413, 'PAYLOAD_TOO_LARGE', 'Payload too large', `The request body is over ${limit}.`);
  }
}

export class PolicyNotFoundError extends ProblemError {
  constructor() {
    super(
      404,
      'POLICY_NOT_FOUND',
      'Federation policy not found',
      'This service account has no federation policy with that id.',
    );
  }
}

export class PolicyLimitReachedError extends ProblemError {
  constructor(limit: number) {
    super(
      409,
      'POLICY_LIMIT_REACHED',
      'Federation policy limit reached',
      `This service account already has ${limit} federation policies, the most allowed; delete one first.`,
    );
  }
}
