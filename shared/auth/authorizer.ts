import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { type ProblemError, SourceIpNotAllowedError, UnauthorizedError } from '../kernel/errors.js';
import type { Config } from '../kernel/config.js';
import type { Clock, IdGenerator } from '../kernel/ports.js';
import { type Observability, observability } from '../http/observability.js';
import { denyContext } from '../http/gateway-responses.js';
import type { JwtVerifier } from './jwt.js';
import type { CredentialStore, PrincipalLookup, UsageKeys } from './ports.js';
import { type Authentication, createAuthenticator } from './authenticate.js';
import { requestMeta } from '../http/request-origin.js';
import { encodeCaller } from './authorizer-context.js';

/** What the authorizer uses. */
export interface AuthorizerDeps extends Observability {
  credentials: CredentialStore;
  directory: Pick<PrincipalLookup, 'getPrincipal'>;
  verifyJwt: JwtVerifier;
  usageKeys: UsageKeys;
  clock: Clock;
  ids: IdGenerator;
  config: Pick<Config, 'jwt' | 'tokens' | 'samLocal'>;
}

/** The authorizer's answer; API Gateway passes `context` to the function as `requestContext.authorizer`. */
export function allow(authentication: Authentication, methodArn: string, usageKey: string): APIGatewayAuthorizerResult {
  return {
    principalId: authentication.caller.userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }],
    },
    context: encodeCaller(authentication.caller),
    usageIdentifierKey: usageKey,
  };
}

/** What a Deny says of itself: the problem its gateway response (ACCESS_DENIED) shows. */
type Refusal = Pick<ProblemError, 'code' | 'title' | 'detail'>;

const ACCESS_DENIED: Refusal = { code: 'FORBIDDEN', title: 'Forbidden', detail: 'Access denied.' };

/**
 * A refusal as a policy. API Gateway answers a Deny with 403 and its ACCESS_DENIED gateway
 * response, whose template reads the Deny's context (`$context.authorizer.problemCode`,
 * ...), so the refusal's own code and detail reach the client: a Lambda authorizer cannot
 * choose a status, and a thrown error carries no context. Also what `sam local` answers
 * without treating it as a failure.
 */
export function deny(methodArn: string, refusal: Refusal = ACCESS_DENIED): APIGatewayAuthorizerResult {
  return {
    principalId: 'anonymous',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: methodArn }],
    },
    context: denyContext(refusal),
  };
}

/**
 * The REQUEST authorizer of every authenticated route. Result caching is off (TTL 0), so
 * a suspended or deleted token is refused on its very next request, whatever its key.
 * Every method requires a usage key, which the authorizer names (`UsageKeys`): a limited
 * token's own key once it is ready in its tier's plan, else that tier's pooled key; the
 * unthrottled key for JWT callers and tokens without a limit.
 */
export function createAuthorizer(parts: AuthorizerDeps) {
  const { logger } = parts;
  const authenticate = createAuthenticator({
    credentials: parts.credentials,
    directory: parts.directory,
    verifyJwt: parts.verifyJwt,
    userClaim: parts.config.jwt.userClaim,
    accountTypeCacheSeconds: parts.config.jwt.accountTypeCacheSeconds,
    clock: parts.clock,
    ids: parts.ids,
    lastUsedWriteIntervalSeconds: parts.config.tokens.lastUsedWriteIntervalSeconds,
  });

  return middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>()
    .use(observability(parts))
    .handler(async (event) => {
      try {
        const authentication = await authenticate(event.headers, requestMeta(event));
        const usageKey = await parts.usageKeys.keyFor(authentication.holder, parts.clock());
        return allow(authentication, event.methodArn, usageKey);
      } catch (error) {
        if (error instanceof SourceIpNotAllowedError) {
          logger.info('Token refused outside its allowed networks');
          parts.metrics.addMetric('TokenRefusedNetwork', MetricUnit.Count, 1);
          return deny(event.methodArn, error);
        }
        if (error instanceof UnauthorizedError) {
          logger.info('Authentication refused');
          // Under sam local a thrown Unauthorized is a function error (502); a Deny is a 403.
          if (parts.config.samLocal) return deny(event.methodArn);
          // The exact message API Gateway turns into its UNAUTHORIZED (401) response, whose
          // words are fixed; the reason reaches only the local gateway, which can say it.
          throw Object.assign(new Error('Unauthorized'), { reason: error.reason });
        }
        logger.error('Authorizer failed', { error });
        throw error;
      }
    });
}
