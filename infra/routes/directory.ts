import type { Route } from '../route-types.js';
import { memberListSchema, memberSchema, userListSchema, userSchema } from '../../shared/http/directory-schemas.js';
import type { QueryParameter } from '../route-types.js';
import { DIRECTORY_ID_PATTERN } from '../../shared/kernel/model.js';
import { LIST, PROFILES, WHOAMI, pageQuery } from './common.js';

/** A page of a listing, and its search: the start of the ids, matched by the sort key (see directory-listing.ts). */
const searchQuery = (what: string): QueryParameter[] => [
  ...pageQuery(what),
  {
    name: 'q',
    description:
      `Only ${what.toLowerCase()} whose id starts with this (case-sensitive: \`ali\` finds \`alice\`, not ` +
      '`Alice` nor `sam-ali`). Paging works as without it: pass the same `q` with `nextToken`',
    schema: { type: 'string', pattern: DIRECTORY_ID_PATTERN.source, minLength: 1, maxLength: 128 },
  },
];

/**
 * The directory's read side, for the console's navigation: the caller's profile decides
 * (domain membership, or an admin role), then one read of a listing the import keeps (a
 * domain's members under the domain, every user under the user list) or of one entry.
 */
export function directoryRoutes(): Route[] {
  const members = '/api/v1/domains/{domain}/members';
  const users = '/api/v1/auth/users';
  const forMembers = 'For members of the domain.';
  const forAdmins = 'For callers with an admin role.';
  return [
    {
      id: 'list-domain-members',
      method: 'GET',
      path: members,
      auth: 'authenticated',
      dynamodb: LIST,
      partitions: [...PROFILES, 'domain'],
      tag: 'Directory',
      summary: 'List a domain’s members',
      description:
        "The domain's members (users and service accounts) by id, a page at a time; `q` finds ids by their " +
        `start. ${forMembers}`,
      query: searchQuery('Members'),
      success: { status: 200, description: 'A page of members', schema: memberListSchema },
      problems: [400, 403],
    },
    {
      id: 'get-domain-member',
      method: 'GET',
      path: `${members}/{userId}`,
      auth: 'authenticated',
      dynamodb: WHOAMI,
      partitions: [...PROFILES, 'domain'],
      tag: 'Directory',
      summary: 'A member of a domain',
      description: `One member: its type and groups. ${forMembers}`,
      success: { status: 200, description: 'The member', schema: memberSchema },
      problems: [400, 403, 404],
    },
    {
      id: 'list-users',
      method: 'GET',
      path: users,
      auth: 'authenticated',
      dynamodb: LIST,
      partitions: [...PROFILES, 'userList'],
      tag: 'Directory',
      summary: 'List users',
      description: `Every user of the directory by id, a page at a time; \`q\` finds ids by their start. ${forAdmins}`,
      query: searchQuery('Users'),
      success: { status: 200, description: 'A page of users', schema: userListSchema },
      problems: [400, 403],
    },
    {
      id: 'get-user',
      method: 'GET',
      path: `${users}/{userId}`,
      auth: 'authenticated',
      dynamodb: WHOAMI,
      partitions: PROFILES,
      tag: 'Directory',
      summary: 'A user',
      description: `One user: type, groups and domains. ${forAdmins}`,
      success: { status: 200, description: 'The user', schema: userSchema },
      problems: [400, 403, 404],
    },
  ];
}
