import { array, boolean, describe, enum as oneOf, int, iso, nullable, optional, strictObject, string } from 'zod/mini';
import { allowedCidrsSchema, scopesSchema } from './response-schemas.js';

/**
 * The shapes of the directory's answers and whoami's, for the OpenAPI document (as
 * response-schemas.ts for the rest): who a caller is and may do, members and users.
 */

const timestamp = iso.datetime({ offset: true });

const userType = oneOf(['USER', 'SERVICE_ACCOUNT']).check(
  describe('SERVICE_ACCOUNT: an account that authenticates with access tokens'),
);

export const capabilitiesSchema = strictObject({
  admin: boolean().check(describe('Holds an admin role: may list users, and manage tokens on the admin paths')),
  domains: array(string()).check(describe('The domains the caller belongs to, whose members it may list')),
  manageTokensIn: array(string()).check(describe('The domains where the caller may manage access tokens')),
});

export const whoamiSchema = strictObject({
  userId: string(),
  type: userType,
  authenticatedBy: oneOf(['JWT', 'ACCESS_TOKEN']),
  tokenName: optional(string()).check(describe('The calling token, for access-token callers')),
  maxRps: optional(nullable(int())).check(describe('The calling token’s limit, for access-token callers')),
  expiresAt: optional(nullable(timestamp)).check(
    describe('When the calling token expires (null: never), for access-token callers'),
  ),
  scopes: optional(scopesSchema).check(describe('What the calling token may do, for access-token callers')),
  allowedCidrs: optional(allowedCidrsSchema).check(describe('Where the calling token may call from (null: anywhere)')),
  capabilities: capabilitiesSchema.check(describe('What the caller may do, as the directory says now')),
  tokenSettings: strictObject({
    maxLifetimeDays: int().check(describe('A token’s expiresAt at most this many days ahead (or null: never)')),
    maxRps: int().check(describe('The highest maxRps a token or policy may have here')),
    defaultGracePeriodSeconds: int().check(describe('A rotation’s grace period when it names none')),
    maxGracePeriodSeconds: int().check(describe('The longest grace period a rotation may give')),
  }).check(describe('The deployment’s rules for tokens, so a client offers only what the API accepts')),
});

export const memberSchema = strictObject({
  id: string(),
  type: userType,
  groups: array(string()),
});

export const memberListSchema = strictObject({
  members: array(memberSchema),
  nextToken: nullable(string()).check(describe('Pass as nextToken for the next page; null on the last page')),
});

export const userSchema = strictObject({
  ...memberSchema.shape,
  domains: array(string()),
});

export const userListSchema = strictObject({
  users: array(userSchema),
  nextToken: nullable(string()).check(describe('Pass as nextToken for the next page; null on the last page')),
});
