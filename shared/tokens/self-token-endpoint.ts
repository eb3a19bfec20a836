import { TokenNotFoundError, ValidationError } from '../kernel/errors.js';
import { toTokenView } from '../kernel/model.js';
import { jsonResponse } from '../http/problem.js';
import { assertCredentialFitsPrincipal } from '../middleware/authorization.js';
import { authenticatedEndpoint, type EndpointDeps } from '../middleware/token-endpoint.js';
import type { Clock } from '../kernel/ports.js';
import type { TokenStore } from './ports.js';

/** What the calling token's own view uses. */
export type SelfTokenDeps = EndpointDeps & { tokens: Pick<TokenStore, 'get'>; clock: Clock };

/** The calling token's own view: what a pipeline asks to learn when its token expires. */
export function selfTokenEndpoint(parts: SelfTokenDeps) {
  return authenticatedEndpoint(parts).handler(async (_event, { caller }) => {
    if (caller.authenticatedBy !== 'ACCESS_TOKEN' || caller.tokenName === undefined) {
      throw new ValidationError([
        {
          field: 'Authorization',
          message: 'this endpoint describes the calling access token: call it with a token, not a JWT',
        },
      ]);
    }
    const [principal, token] = await Promise.all([
      parts.directory.getPrincipal(caller.userId),
      parts.tokens.get(caller.userId, caller.tokenName),
    ]);
    assertCredentialFitsPrincipal(caller, principal);
    if (!token) throw new TokenNotFoundError();
    return jsonResponse(200, toTokenView(token, parts.clock()));
  });
}
