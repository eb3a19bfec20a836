import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ForbiddenError, NotSameGroupError, ServiceAccountNotFoundError } from '../kernel/errors.js';
import { jsonResponse } from '../http/problem.js';
import { pathParameter } from '../http/path-parameters.js';
import { assertCredentialFitsPrincipal } from '../middleware/authorization.js';
import { authenticatedEndpoint } from '../middleware/token-endpoint.js';
import type { DirectoryEndpointDeps } from './endpoints.js';

/**
 * `GET /api/v1/auth/service-accounts/{serviceAccountId}/incarnations`: the incarnations of
 * an account id (shared/directory/incarnations.ts), for admins, so they can name a past
 * one to the admin audit trail. The token routes' checks in their order: an admin role
 * (403), an account of that id now or before (404), and a group shared with it, each
 * incarnation as it is or was when it ended (403 when none is shared); only those shared
 * are listed.
 */
export function listIncarnationsEndpoint(parts: DirectoryEndpointDeps) {
  return authenticatedEndpoint(parts).handler(async (event: APIGatewayProxyEvent, { caller }) => {
    const accountId = pathParameter(event, 'serviceAccountId');
    // Both reads at once; nothing about the account is told before the caller is an admin.
    const [principal, incarnations] = await Promise.all([
      parts.directory.getPrincipal(caller.userId),
      accountId === undefined ? Promise.resolve([]) : parts.directory.listIncarnations(accountId),
    ]);
    assertCredentialFitsPrincipal(caller, principal);
    if (!principal || principal.adminRoles.length === 0) throw new ForbiddenError();
    if (incarnations.length === 0) throw new ServiceAccountNotFoundError();
    const groups = new Set(principal.groups);
    const shared = incarnations.filter((incarnation) => incarnation.groups.some((group) => groups.has(group)));
    if (shared.length === 0) throw new NotSameGroupError();
    return jsonResponse(200, { incarnations: shared.map(({ groups: _groups, ...view }) => view) });
  });
}
