import { randomUUID } from 'node:crypto';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { localGatewayResponse as refuse } from '../../shared/http/gateway-responses.js';
import type { UsageKeys } from '../../shared/auth/ports.js';
import type { Admission, LocalRateLimits } from '../../shared/ratelimit/local-rate-limits.js';
import { lambdaContext } from './gateway-events.js';

/**
 * The local gateway's authorizer step, as API Gateway runs a REQUEST authorizer: the
 * function is called with the event API Gateway builds, its policy must allow the method,
 * and the request is admitted by the usage key it named (the usage plans' throttle).
 */

type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEvent,
  context: Context,
) => Promise<APIGatewayAuthorizerResult>;

/** What a deployment wires for the authorizer step. */
export interface AuthorizerIntegration {
  authorizer: AuthorizerHandler;
  /** The usage plans' throttle, by the key the authorizer named; absent: no throttling. */
  admit?: (usageKey: string | undefined) => Promise<Admission>;
}

/**
 * The usage plans' throttle, wherever the usage keys can admit requests (the local ones
 * can; those that stand in for API Gateway's cannot): the gateway's `admit`, or none.
 */
export function usagePlanAdmission(usageKeys: UsageKeys): AuthorizerIntegration['admit'] {
  const limiter = usageKeys as UsageKeys & Partial<Pick<LocalRateLimits, 'admit'>>;
  return limiter.admit?.bind(limiter);
}

function allows(result: APIGatewayAuthorizerResult, methodArn: string): boolean {
  return (result.policyDocument?.Statement ?? []).some(
    (statement) =>
      statement.Effect === 'Allow' &&
      'Resource' in statement &&
      [statement.Resource]
        .flat()
        .some((r) => r === methodArn || r === '*' || (typeof r === 'string' && r.endsWith('/*'))),
  );
}

/**
 * Runs the authorizer on a request: the context it hands the function, or the gateway
 * response that refuses the request (401, 429, or 503 when the authorizer failed).
 */
export async function authorize(
  integration: AuthorizerIntegration,
  around: <T>(functionId: string, invoke: () => Promise<T>) => Promise<T>,
  event: APIGatewayRequestAuthorizerEvent,
): Promise<{ context: Record<string, unknown> } | { refusal: APIGatewayProxyResult }> {
  let result: APIGatewayAuthorizerResult;
  try {
    result = await around('authorizer', () => integration.authorizer(event, lambdaContext('authorizer', randomUUID())));
  } catch (error) {
    const { requestId } = event.requestContext;
    // A thrown Unauthorized gets API Gateway's UNAUTHORIZED, which knows nothing of why.
    const refusal =
      (error as Error)?.message === 'Unauthorized'
        ? refuse('UNAUTHORIZED')
        : refuse('AUTHORIZER_FAILURE', { requestId });
    return { refusal };
  }
  // A Deny's gateway response (401) reads the Deny's context, as in API Gateway; an Allow
  // is admitted by its usage key whatever its context says (a network refusal is the function's).
  if (!allows(result, event.methodArn))
    return { refusal: refuse('ACCESS_DENIED', { authorizer: result.context ?? {} }) };
  if (integration.admit) {
    const admission = await integration.admit(result.usageIdentifierKey ?? undefined);
    if (!admission.allowed) {
      const throttled = admission.reason === 'throttled';
      return { refusal: throttled ? refuse('THROTTLED', { headers: admission.headers }) : refuse('INVALID_API_KEY') };
    }
  }
  return { context: { ...(result.context ?? {}), principalId: result.principalId } };
}
