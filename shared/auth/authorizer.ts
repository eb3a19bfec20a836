import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { UnauthorizedError } from '../kernel/errors.js';
import type { Config } from '../kernel/config.js';
import type { Clock, IdGenerator } from '../kernel/ports.js';
import { type Observability, observability } from '../http/observability.js';
import { denyContext } from '../http/gateway-responses.js';
import type { JwtVerifier } from './jwt.js';
import type { CredentialStore, PrincipalLookup, UsageKeys } from './ports.js';
import { type Authentication, createAuthenticator } from './authenticate.js';
import { requestMeta } from '../http/request-origin.js';
import { type AuthorizerContext, encodeCaller, encodeNetworkRefusal } from './authorizer-context.js';

/** What the authorizer uses. */
export interface AuthorizerDeps extends Observability {
  credentials: CredentialStore;
  directory: Pick<PrincipalLookup, 'getPrincipal'>;
  verifyJwt: JwtVerifier;
  usageKeys: UsageKeys;
  clock: Clock;
  ids: IdGenerator;
  config: Pick<Config, 'jwt' | 'tokens'>;
}

/** The authorizer's answer; API Gateway passes `context` to the function as `requestContext.authorizer`. */
export function allow(
  authentication: Authentication,
  methodArn: string,
  usageKey: string,
  context: AuthorizerContext = encodeCaller(authentication.caller),
): APIGatewayAuthorizerResult {
  return {
    principalId: authentication.caller.userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }],
    },
    context,
    usageIdentifierKey: usageKey,
  };
}

/**
 * A credential that did not authenticate, as a policy. API Gateway answers a Deny with its
 * ACCESS_DENIED gateway response, which this API sets to 401 (shared/http/gateway-responses.ts)
 * and whose template reads the Deny's context (`$context.authorizer.problemDetail`, ...), so
 * the reason reaches the client in AWS as locally: a thrown `Unauthorized` carries no context,
 * and a Lambda authorizer cannot choose a status. SAM answers a Deny too (with its own 403),
 * where a thrown error is a 502.
 */
export function deny(methodArn: string, refusal: UnauthorizedError): APIGatewayAuthorizerResult {
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
 *
 * A token used outside its allowed networks did authenticate: it is allowed with its own
 * usage key (so it is throttled at its maxRps, as a Deny would not be) and a context that
 * carries only the refusal, which every function answers 403 (`decodeCaller`).
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
        if (authentication.refusedFrom === undefined) return allow(authentication, event.methodArn, usageKey);
        logger.info('Token refused outside its allowed networks');
        parts.metrics.addMetric('TokenRefusedNetwork', MetricUnit.Count, 1);
        return allow(authentication, event.methodArn, usageKey, encodeNetworkRefusal(authentication.refusedFrom));
      } catch (error) {
        if (error instanceof UnauthorizedError) {
          logger.info('Authentication refused');
          return deny(event.methodArn, error);
        }
        logger.error('Authorizer failed', { error });
        throw error;
      }
    });
}
