import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type FieldError, UserNotFoundError } from '../kernel/errors.js';
import { pathParameter } from '../http/path-parameters.js';
import { jsonResponse } from '../http/problem.js';
import { check, directoryListQuery, userIdPath } from '../http/validation.js';
import { directoryEndpoint } from '../middleware/directory-endpoint.js';
import type { ListedUser, Member } from '../kernel/model.js';
import type { DirectoryPage } from './ports.js';
import type { EndpointDeps } from '../middleware/token-endpoint.js';
import type { DirectoryStore } from './ports.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';

/** What the directory's endpoints use. */
export type DirectoryEndpointDeps = EndpointDeps & { directory: DirectoryStore };

/**
 * The directory's read endpoints, for the console's navigation: Settings › Members (a
 * domain's members, for its members) and Admin › Users (every user, for admins), each a
 * list and one entry. The authorization stack has run before any handler here.
 */

/**
 * `limit` and `nextToken`, read as the token list reads them (a cursor carries only the last
 * id), and `q`, the start of the ids to list.
 */
function pageOf(
  event: APIGatewayProxyEvent,
  errors: FieldError[],
): { limit: number; after: string | undefined; startsWith: string | undefined } {
  const query = check(directoryListQuery, event.queryStringParameters ?? {}, errors);
  let after: string | undefined;
  if (query?.nextToken !== undefined) {
    after = decodeCursor(query.nextToken);
    if (after === undefined) errors.push({ field: 'nextToken', message: 'is not a valid cursor' });
  }
  return { limit: query?.limit ?? 50, after, startsWith: query?.q };
}

/** The user id of the path, decoded and validated. */
function userIdOf(event: APIGatewayProxyEvent, errors: FieldError[]): string {
  const userId = pathParameter(event, 'userId');
  if (userId === undefined && event.pathParameters?.userId !== undefined) {
    errors.push({ field: 'userId', message: 'is not valid percent-encoding' });
    return '';
  }
  return check(userIdPath, { userId }, errors)?.userId ?? '';
}

const nextToken = (page: DirectoryPage<unknown>) => (page.lastId === undefined ? null : encodeCursor(page.lastId));

const listedUser = (user: ListedUser): ListedUser => ({
  id: user.id,
  type: user.type,
  groups: user.groups,
  domains: user.domains,
});

export function listMembersEndpoint(parts: DirectoryEndpointDeps) {
  return directoryEndpoint(parts, { access: 'domain-member', input: pageOf }).handler(async (_event, context) => {
    const page = await parts.directory.listMembers(
      context.domain!,
      context.input.limit,
      context.input.after,
      context.input.startsWith,
    );
    return jsonResponse(200, { members: page.items, nextToken: nextToken(page) });
  });
}

export function getMemberEndpoint(parts: DirectoryEndpointDeps) {
  return directoryEndpoint(parts, {
    access: 'domain-member',
    input: (event, errors) => ({ userId: userIdOf(event, errors) }),
  }).handler(async (_event, context) => {
    const member: Member | undefined = await parts.directory.getMember(context.domain!, context.input.userId);
    if (!member) throw new UserNotFoundError();
    return jsonResponse(200, member);
  });
}

export function listUsersEndpoint(parts: DirectoryEndpointDeps) {
  return directoryEndpoint(parts, { access: 'admin', input: pageOf }).handler(async (_event, context) => {
    const page = await parts.directory.listUsers(context.input.limit, context.input.after, context.input.startsWith);
    return jsonResponse(200, { users: page.items.map(listedUser), nextToken: nextToken(page) });
  });
}

export function getUserEndpoint(parts: DirectoryEndpointDeps) {
  return directoryEndpoint(parts, {
    access: 'admin',
    input: (event, errors) => ({ userId: userIdOf(event, errors) }),
  }).handler(async (_event, context) => {
    const user = await parts.directory.getPrincipal(context.input.userId);
    if (!user) throw new UserNotFoundError();
    return jsonResponse(200, listedUser(user));
  });
}
