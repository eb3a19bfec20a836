import type { Route } from '../route-types.js';
import {
  createTokenBody,
  deprecatedCreateTokenBody,
  rotateTokenBody,
  updateTokenBody,
} from '../../shared/http/request-schemas.js';
import {
  rotatedTokenSchema,
  tokenEventListSchema,
  tokenListSchema,
  tokenSchema,
} from '../../shared/http/response-schemas.js';
import {
  ADMIN_BASE,
  ADMIN_EVENTS_QUERY,
  CREATE,
  CREATED,
  CREATE_PROBLEMS,
  DELETE,
  DOMAIN_BASE,
  EVENTS_QUERY,
  KEYED_WRITE,
  LIST,
  LIST_QUERY,
  PROFILES,
  ROTATE,
  TOKEN_PROBLEMS,
  UPDATE,
} from './common.js';

/** The token routes, for one scope. */
export function tokenRoutes(scope: 'domain' | 'admin'): Route[] {
  const base = scope === 'domain' ? DOMAIN_BASE : ADMIN_BASE;
  const where = scope === 'domain' ? 'domain' : 'admin';
  const who =
    scope === 'domain'
      ? "Needs the domain's permission (access_token.manage in a ROLE_V1 domain, MANAGE_ACCESS_TOKEN in a " +
        'BUNDLE_V2 domain) and a group shared with the account.'
      : 'Needs any admin role and a group shared with the account.';
  return [
    {
      id: `list-${where}-tokens`,
      method: 'GET',
      path: `${base}/{serviceAccountId}/tokens`,
      auth: 'authenticated',
      dynamodb: LIST,
      partitions: [...PROFILES, 'account'],
      tag: 'Tokens',
      summary: `List tokens (${where})`,
      description: `Tokens by name, a page at a time. ${who}`,
      query: LIST_QUERY,
      success: { status: 200, description: 'A page of tokens', schema: tokenListSchema },
      problems: TOKEN_PROBLEMS,
    },
    {
      id: `create-${where}-token`,
      keyChanges: true,
      method: 'POST',
      path: `${base}/{serviceAccountId}/tokens`,
      auth: 'authenticated',
      dynamodb: CREATE,
      partitions: KEYED_WRITE,
      jsonBody: true,
      tag: 'Tokens',
      summary: `Create a token (${where})`,
      description: `The answer holds the secret, once. ${who}`,
      body: createTokenBody,
      success: CREATED,
      problems: CREATE_PROBLEMS,
    },
    {
      id: `update-${where}-token`,
      keyChanges: true,
      method: 'PATCH',
      path: `${base}/{serviceAccountId}/tokens/{name}`,
      auth: 'authenticated',
      dynamodb: UPDATE,
      partitions: KEYED_WRITE,
      jsonBody: true,
      tag: 'Tokens',
      summary: `Update a token (${where})`,
      description: `Suspend, reactivate or re-limit a token. ${who}`,
      body: updateTokenBody,
      success: { status: 200, description: 'The token as changed', schema: tokenSchema },
      problems: [...TOKEN_PROBLEMS, 409, 415],
    },
    {
      id: `rotate-${where}-token`,
      method: 'POST',
      path: `${base}/{serviceAccountId}/tokens/{name}/rotate`,
      auth: 'authenticated',
      dynamodb: ROTATE,
      partitions: [...PROFILES, 'account', 'credential', 'events'],
      tag: 'Tokens',
      summary: `Rotate a token's secret (${where})`,
      description:
        `A new secret, shown once; the old one keeps working for the grace period (default a day) so every job can ` +
        `move over. The token keeps its name, limits, expiry and rate-limit key. ${who}`,
      body: rotateTokenBody,
      bodyOptional: true,
      success: {
        status: 200,
        description: 'The token, with its new secret (shown this once)',
        schema: rotatedTokenSchema,
        headers: ['Cache-Control'],
      },
      problems: [...TOKEN_PROBLEMS, 409, 415],
    },
    {
      id: `end-${where}-grace-period`,
      method: 'DELETE',
      path: `${base}/{serviceAccountId}/tokens/{name}/previous-secret`,
      auth: 'authenticated',
      dynamodb: ROTATE,
      partitions: [...PROFILES, 'account', 'credential', 'events'],
      tag: 'Tokens',
      summary: `End a rotation's grace period now (${where})`,
      description:
        'The secret the last rotation replaced stops working now (for when it may have leaked); the current secret ' +
        'is not touched. Jobs still using the replaced secret fail from their next request. Recorded as a ' +
        `token.grace_period_ended event. 409 NO_GRACE_PERIOD when no replaced secret still works. ${who}`,
      success: { status: 200, description: 'The token, its previousSecret now null', schema: tokenSchema },
      problems: [...TOKEN_PROBLEMS, 409],
    },
    {
      id: `list-${where}-token-events`,
      method: 'GET',
      path: `${base}/{serviceAccountId}/token-events`,
      auth: 'authenticated',
      dynamodb: LIST,
      partitions: [...PROFILES, 'events'],
      tag: 'Audit',
      summary: `List the audit trail of an account's tokens (${where})`,
      description:
        `Every change to the account's tokens and federation policies, newest first, a page at a time: the trail ` +
        `of the account's current incarnation (an account removed from the directory and added again starts a new ` +
        `one)${scope === 'admin' ? ', or of the incarnation named' : ''}. ${who}`,
      query: scope === 'admin' ? ADMIN_EVENTS_QUERY : EVENTS_QUERY,
      success: { status: 200, description: 'A page of events', schema: tokenEventListSchema },
      problems: TOKEN_PROBLEMS,
    },
    {
      id: `delete-${where}-token`,
      keyChanges: true,
      method: 'DELETE',
      path: `${base}/{serviceAccountId}/tokens/{name}`,
      auth: 'authenticated',
      dynamodb: DELETE,
      partitions: [...PROFILES, 'account', 'credential', 'capacity', 'events'],
      tag: 'Tokens',
      summary: `Delete a token (${where})`,
      description: `It stops working on the next request, and its name is free again. ${who}`,
      success: { status: 204, description: 'Deleted' },
      problems: [...TOKEN_PROBLEMS, 409],
    },
    {
      id: `create-${where}-token-deprecated`,
      keyChanges: true,
      method: 'POST',
      path: `${base}/tokens`,
      auth: 'authenticated',
      dynamodb: CREATE,
      partitions: KEYED_WRITE,
      jsonBody: true,
      deprecated: true,
      tag: 'Tokens',
      summary: `Create a token, account in body (${where}, deprecated)`,
      description:
        `As the create under the account's path, which succeeds it; answers with Deprecation and Link headers. ` +
        `${who}`,
      body: deprecatedCreateTokenBody,
      success: { ...CREATED, headers: [...CREATED.headers, 'Deprecation', 'Link'] },
      problems: CREATE_PROBLEMS,
    },
  ];
}
