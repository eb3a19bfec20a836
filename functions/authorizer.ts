import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { type Authentication, createAuthenticator, createJwtVerifier } from '../shared/auth/authenticate.js';
import { config } from '../shared/config.js';
import { UnauthorizedError } from '../shared/errors.js';
import { logger } from '../shared/middleware/observability.js';
import { getRuntime } from '../shared/runtime.js';

/**
 * REQUEST authorizer for every authenticated route. Result caching is off (TTL 0), so a
 * suspended or deleted token is refused on its very next request.
 */
let authenticate: ReturnType<typeof createAuthenticator> | undefined;

function authenticator() {
  if (authenticate) return authenticate;
  const settings = config();
  authenticate = createAuthenticator({
    tokens: getRuntime().tokens,
    verifyJwt: createJwtVerifier({
      jwksUrl: settings.jwksUrl,
      issuer: settings.jwtIssuer,
      audience: settings.jwtAudience,
      userClaim: settings.jwtUserClaim,
    }),
    lastUsedWriteIntervalSeconds: settings.lastUsedWriteIntervalSeconds,
  });
  return authenticate;
}

/** The authorizer's answer; API Gateway passes `context` to the function as `requestContext.authorizer`. */
export function allow(authentication: Authentication, methodArn: string): APIGatewayAuthorizerResult {
  const { caller } = authentication;
  const context: Record<string, string | number | boolean> = {
    userId: caller.userId,
    authenticatedBy: caller.authenticatedBy,
  };
  if (caller.tokenName !== undefined) context.tokenName = caller.tokenName;
  if (caller.maxRps !== undefined && caller.maxRps !== null) context.maxRps = caller.maxRps;
  if (authentication.lookupId !== undefined) context.tokenId = authentication.lookupId;
  return {
    principalId: caller.userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }],
    },
    context,
    ...(authentication.usageKey ? { usageIdentifierKey: authentication.usageKey } : {}),
  };
}

/**
 * In AWS every method requires an API key, which the authorizer names: the token's own
 * key (its usage plan throttles it), else the unthrottled plan's shared key (JWT callers,
 * tokens without a limit). Locally there are no keys and the gateway throttles by token.
 */
async function withUsageKey(authentication: Authentication): Promise<Authentication> {
  const rateLimits = getRuntime().rateLimits;
  if (!rateLimits || authentication.usageKey) return authentication;
  if (authentication.caller.maxRps !== undefined && authentication.caller.maxRps !== null) {
    // Drift (a failed bind, a key deleted out of band): the call goes through unthrottled
    // rather than failing, and reconcile gives the token its key on its next run.
    logger.warn('Token with a limit has no API key; using the unthrottled key', { tokenId: authentication.lookupId });
  }
  return { ...authentication, usageKey: await rateLimits.unthrottledUsageKey() };
}

export const handler = middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    try {
      return allow(await withUsageKey(await authenticator()(event.headers)), event.methodArn);
    } catch (error) {
      if (error instanceof UnauthorizedError) {
        logger.info('Authentication refused');
        // The exact message API Gateway turns into its UNAUTHORIZED (401) response.
        throw new Error('Unauthorized');
      }
      logger.error('Authorizer failed', { error });
      throw error;
    }
  });
