import type { Partition } from '../shared/dynamodb/keys.js';
import type { ApiKeyAccess } from './api-key-access.js';
import type { DynamoAction, QueryParameter, Route } from './route-types.js';
import { INCARNATION_PATTERN } from '../shared/kernel/model.js';
import { BODY_LIMIT_BYTES } from '../shared/http/body-limit.js';
import { REPORT_BODY_LIMIT_BYTES, secretScanningBody } from '../shared/scanning/reports.js';
import { createPolicyBody, testPolicyBody } from '../shared/federation/validation.js';
import {
  createTokenBody,
  deprecatedCreateTokenBody,
  EVENT_TYPES,
  rotateTokenBody,
  TOKEN_NAME_PATTERN,
  updateTokenBody,
} from '../shared/http/validation.js';
import {
  createdTokenSchema,
  healthSchema,
  incarnationListSchema,
  memberListSchema,
  memberSchema,
  rotatedTokenSchema,
  secretScanningFeedbackSchema,
  exchangedTokenSchema,
  exchangeFormSchema,
  federationPolicyListSchema,
  federationPolicySchema,
  policyTestSchema,
  tokenEventListSchema,
  tokenListSchema,
  tokenSchema,
  userListSchema,
  userSchema,
  whoamiSchema,
} from '../shared/http/response-schemas.js';

/**
 * The route table: the single source of truth for every endpoint's method, path,
 * Lambda entry, authentication, data access and contract. The CDK stack, the local
 * gateway and the OpenAPI document (`docs/openapi.json`) are all generated from it;
 * adding an endpoint is one row here plus one file in `functions/`.
 */

export type { DynamoAction, Route } from './route-types.js';

const DOMAIN_BASE = '/api/v1/domains/{domain}/auth/service-accounts';
const ADMIN_BASE = '/api/v1/auth/service-accounts';

// Every token route reads the caller and the account (GetItem); then its own operation.
const WHOAMI: DynamoAction[] = ['dynamodb:GetItem'];
const LIST: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:Query'];
// Query: the recount when the limit is hit (TTL may have removed tokens); ConditionCheckItem:
// the account is still a service account, in the create's transaction; DeleteItem: a claim
// on a rate's usage plan given up when the plan could not be made.
const CREATE: DynamoAction[] = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];
// PutItem: every change writes its audit event in its own transaction.
const UPDATE: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
const DELETE: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'];
const ROTATE: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
// The partitions: the caller's and the account's profiles (every token route; a profile
// holds its grants, so no route reads the domains), the account's tokens, their
// credentials, the usage-plan records, and the account's audit events.
const PROFILES: Partition[] = ['user'];
const KEYED_WRITE: Partition[] = [...PROFILES, 'account', 'credential', 'ratePlans', 'events'];

const pageQuery = (what: string): QueryParameter[] => [
  {
    name: 'limit',
    description: `${what} per page, 1–100`,
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
  },
  {
    name: 'nextToken',
    description: 'The cursor from the previous page',
    schema: { type: 'string', minLength: 1, maxLength: 1024 },
  },
];
const LIST_QUERY = pageQuery('Tokens');
/** Checks every token route makes: validation, permission and same group, the account, then its own. */
const TOKEN_PROBLEMS = [400, 403, 404];
const CREATED = {
  status: 201,
  description: 'The token, with its secret (shown this once)',
  schema: createdTokenSchema,
  headers: ['Location', 'Cache-Control'],
};
const CREATE_PROBLEMS = [...TOKEN_PROBLEMS, 409, 415];
const EVENTS_QUERY: QueryParameter[] = [
  {
    name: 'limit',
    description: 'Events per page, 1–100',
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
  },
  {
    name: 'nextToken',
    description: 'The cursor from the previous page',
    schema: { type: 'string', minLength: 1, maxLength: 1024 },
  },
  {
    name: 'tokenName',
    description: 'Only the events of this token',
    schema: { type: 'string', pattern: TOKEN_NAME_PATTERN.source },
  },
  { name: 'type', description: 'Only events of this type', schema: { type: 'string', enum: [...EVENT_TYPES] } },
];
const ADMIN_EVENTS_QUERY: QueryParameter[] = [
  ...EVENTS_QUERY,
  {
    name: 'incarnation',
    description:
      'The trail of this incarnation of the account (see the incarnations route) instead of the current one: ' +
      'for an admin who shares a group with the account as that incarnation ended. `legacy` names the trail of ' +
      'an account created before incarnations',
    schema: { type: 'string', pattern: INCARNATION_PATTERN.source },
  },
];

// Policies: the account's partition holds them and their counter. Create and delete may
// make or delete the policy's one rate-limit key (and a rate's usage plan record), and
// write their event (PutItem on the account's events).
const POLICY_READ: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:Query'];
const POLICY_CREATE: DynamoAction[] = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];
const POLICY_DELETE: DynamoAction[] = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];
// The exchange: the account's policies (Query), the jti (PutItem), the issued token with its
// event, checked against the account and the policy (a transaction), or a refusal's event.
const EXCHANGE: DynamoAction[] = ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'];

function federationRoutes(scope: 'domain' | 'admin'): Route[] {
  const base = `${scope === 'domain' ? DOMAIN_BASE : ADMIN_BASE}/{serviceAccountId}/federation-policies`;
  const where = scope;
  const who =
    scope === 'domain'
      ? 'Authorized as the domain’s token endpoints, same group included.'
      : 'Authorized as the admin token endpoints, same group included.';
  return [
    {
      id: `list-${where}-federation-policies`,
      method: 'GET',
      path: base,
      auth: 'authenticated',
      dynamodb: POLICY_READ,
      partitions: [...PROFILES, 'account'],
      tag: 'Federation',
      summary: `List federation policies (${where})`,
      description: `Every federation policy of the account (at most 50). ${who}`,
      success: { status: 200, description: 'The policies', schema: federationPolicyListSchema },
      problems: TOKEN_PROBLEMS,
    },
    {
      id: `create-${where}-federation-policy`,
      apiKeys: 'create',
      method: 'POST',
      path: base,
      auth: 'authenticated',
      dynamodb: POLICY_CREATE,
      partitions: [...PROFILES, 'account', 'ratePlans', 'events'],
      jsonBody: true,
      tag: 'Federation',
      summary: `Create a federation policy (${where})`,
      description: `Which CI jobs (issuer, audience, subject, claims) may exchange their OIDC token for an access token of the account; with maxRps, one rate-limit key shared by every token it issues. ${who}`,
      body: createPolicyBody,
      success: { status: 201, description: 'The policy', schema: federationPolicySchema, headers: ['Location'] },
      problems: [...TOKEN_PROBLEMS, 409, 415],
    },
    {
      id: `get-${where}-federation-policy`,
      method: 'GET',
      path: `${base}/{policyId}`,
      auth: 'authenticated',
      dynamodb: ['dynamodb:GetItem'],
      partitions: [...PROFILES, 'account'],
      tag: 'Federation',
      summary: `Get a federation policy (${where})`,
      description: who,
      success: { status: 200, description: 'The policy', schema: federationPolicySchema },
      problems: TOKEN_PROBLEMS,
    },
    {
      id: `delete-${where}-federation-policy`,
      apiKeys: 'delete',
      method: 'DELETE',
      path: `${base}/{policyId}`,
      auth: 'authenticated',
      dynamodb: POLICY_DELETE,
      partitions: [...PROFILES, 'account', 'events'],
      tag: 'Federation',
      summary: `Delete a federation policy (${where})`,
      description: `No exchange issues a token for it from then on. With maxRps its shared key is deleted, so the gateway refuses the tokens it issued; without, they work until they expire (at most maxTtlSeconds) unless suspended or deleted. ${who}`,
      success: { status: 204, description: 'Deleted' },
      problems: [...TOKEN_PROBLEMS, 409],
    },
    {
      id: `test-${where}-federation-policy`,
      method: 'POST',
      path: `${base}/{policyId}/test`,
      auth: 'authenticated',
      dynamodb: ['dynamodb:GetItem'],
      partitions: [...PROFILES, 'account', 'replay'],
      jsonBody: true,
      tag: 'Federation',
      summary: `Test a federation policy against a JWT (${where})`,
      description: `Runs every check of an exchange and says which passed and which failed, with the policy’s own patterns; issues nothing and does not use up the jti. ${who}`,
      body: testPolicyBody,
      success: { status: 200, description: 'Each check, passed or failed', schema: policyTestSchema },
      problems: [...TOKEN_PROBLEMS, 415],
    },
  ];
}

function tokenRoutes(scope: 'domain' | 'admin'): Route[] {
  const base = scope === 'domain' ? DOMAIN_BASE : ADMIN_BASE;
  const where = scope === 'domain' ? 'domain' : 'admin';
  const who =
    scope === 'domain'
      ? "Needs the domain's permission (access_token.manage in a ROLE_V1 domain, MANAGE_ACCESS_TOKEN in a BUNDLE_V2 domain) and a group shared with the account."
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
      apiKeys: 'create',
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
      apiKeys: 'update',
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
      description: `A new secret, shown once; the old one keeps working for the grace period (default a day) so every job can move over. The token keeps its name, limits, expiry and rate-limit key. ${who}`,
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
      id: `list-${where}-token-events`,
      method: 'GET',
      path: `${base}/{serviceAccountId}/token-events`,
      auth: 'authenticated',
      dynamodb: LIST,
      partitions: [...PROFILES, 'events'],
      tag: 'Audit',
      summary: `List the audit trail of an account's tokens (${where})`,
      description: `Every change to the account's tokens and federation policies, newest first, a page at a time: the trail of the account's current incarnation (an account removed from the directory and added again starts a new one)${scope === 'admin' ? ', or of the incarnation named' : ''}. ${who}`,
      query: scope === 'admin' ? ADMIN_EVENTS_QUERY : EVENTS_QUERY,
      success: { status: 200, description: 'A page of events', schema: tokenEventListSchema },
      problems: TOKEN_PROBLEMS,
    },
    {
      id: `delete-${where}-token`,
      apiKeys: 'delete',
      method: 'DELETE',
      path: `${base}/{serviceAccountId}/tokens/{name}`,
      auth: 'authenticated',
      dynamodb: DELETE,
      partitions: [...PROFILES, 'account', 'credential', 'events'],
      tag: 'Tokens',
      summary: `Delete a token (${where})`,
      description: `It stops working on the next request, and its name is free again. ${who}`,
      success: { status: 204, description: 'Deleted' },
      problems: [...TOKEN_PROBLEMS, 409],
    },
    {
      id: `create-${where}-token-deprecated`,
      apiKeys: 'create',
      method: 'POST',
      path: `${base}/tokens`,
      auth: 'authenticated',
      dynamodb: CREATE,
      partitions: KEYED_WRITE,
      jsonBody: true,
      deprecated: true,
      tag: 'Tokens',
      summary: `Create a token, account in body (${where}, deprecated)`,
      description: `As the create under the account's path, which succeeds it; answers with Deprecation and Link headers. ${who}`,
      body: deprecatedCreateTokenBody,
      success: { ...CREATED, headers: [...CREATED.headers, 'Deprecation', 'Link'] },
      problems: CREATE_PROBLEMS,
    },
  ];
}

/**
 * The directory's read side, for the console's navigation: the caller's profile decides
 * (domain membership, or an admin role), then one read of a listing the import keeps (a
 * domain's members under the domain, every user under the user list) or of one entry.
 */
function directoryRoutes(): Route[] {
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
      description: `The domain's members (users and service accounts) by id, a page at a time. ${forMembers}`,
      query: pageQuery('Members'),
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
      description: `Every user of the directory by id, a page at a time. ${forAdmins}`,
      query: pageQuery('Users'),
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

export const routes: Route[] = [
  {
    id: 'health',
    method: 'GET',
    path: '/health',
    auth: 'none',
    noAuthorizerBecause: 'The health check is public by design: it reveals nothing and touches no data.',
    dynamodb: [],
    partitions: [],
    tag: 'Service',
    summary: 'Liveness',
    description: 'Answers without a credential and without touching the table.',
    success: { status: 200, description: 'Alive', schema: healthSchema },
    problems: [],
  },
  {
    id: 'whoami',
    method: 'GET',
    path: '/api/v1/auth/whoami',
    auth: 'authenticated',
    dynamodb: WHOAMI,
    partitions: ['user'],
    tag: 'Identity',
    summary: 'Who the caller is',
    description:
      'Any authenticated caller, by JWT or by access token: who it is, and what it may do (admin or not, its domains, where it may manage tokens).',
    success: { status: 200, description: 'The caller', schema: whoamiSchema },
    problems: [],
  },
  {
    id: 'self-token',
    method: 'GET',
    path: '/api/v1/auth/tokens/self',
    auth: 'authenticated',
    dynamodb: WHOAMI,
    partitions: ['user', 'account'],
    tag: 'Identity',
    summary: 'The calling token',
    description:
      'For a caller authenticated by an access token: its status, limit, expiry, last use and rotation state. A JWT caller gets 400.',
    success: { status: 200, description: 'The calling token', schema: tokenSchema },
    problems: [400, 404],
  },
  {
    id: 'exchange-token',
    method: 'POST',
    path: '/api/v1/auth/token',
    auth: 'none',
    noAuthorizerBecause:
      'The token exchange takes no credential header by design (RFC 8693): the signed subject token in its body is the credential, verified by the function; the method has its own throttle.',
    dynamodb: EXCHANGE,
    partitions: ['user', 'account', 'credential', 'events', 'replay'],
    bodyMediaType: 'application/x-www-form-urlencoded',
    body: exchangeFormSchema,
    oauthErrors: [400, 413, 500, 503],
    throttle: { rateLimit: 50, burstLimit: 100 },
    tag: 'Federation',
    summary: 'Exchange a CI job’s OIDC token for an access token (RFC 8693)',
    description:
      'No credential header: the subject token is the credential. Accepted when one of the service account’s federation policies accepts the token (issuer, signature, audience, subject, claims, age) and its jti was not used before. Refusals are RFC 6749 §5.2 errors naming the failed check; an issuer whose keys cannot be read is 503 with Retry-After. Every exchange whose subject token verified, refused or not, is an audit event.',
    success: {
      status: 200,
      description: 'An access token of the service account (kind FEDERATED), shown this once',
      schema: exchangedTokenSchema,
      headers: ['Cache-Control'],
    },
    problems: [],
  },
  ...tokenRoutes('domain'),
  ...tokenRoutes('admin'),
  {
    id: 'list-admin-incarnations',
    method: 'GET',
    path: `${ADMIN_BASE}/{serviceAccountId}/incarnations`,
    auth: 'authenticated',
    // GetItem: the caller's and the account's profiles; Query: the account id's incarnations.
    dynamodb: LIST,
    partitions: [...PROFILES, 'events'],
    tag: 'Audit',
    summary: 'List the incarnations of an account (admin)',
    description:
      'An import that removes a service account and a later one that adds its id again make two accounts, each ' +
      'with a trail of its own. Each incarnation of the id, newest first, that shares a group with the caller (as ' +
      'it is now, or as it was when it ended); pass one as incarnation to the admin token-events route. Needs any ' +
      'admin role.',
    success: { status: 200, description: 'The incarnations', schema: incarnationListSchema },
    problems: [403, 404],
  },
  ...federationRoutes('domain'),
  ...federationRoutes('admin'),
  ...directoryRoutes(),
  {
    id: 'github-secret-scanning',
    method: 'POST',
    path: '/api/v1/secret-scanning/github',
    auth: 'none',
    noAuthorizerBecause:
      'GitHub signs each report (ECDSA over the raw body, with a key it publishes); the function verifies the signature before reading anything.',
    // BatchGetItem: the credentials of the reported strings that are well-formed (and one
    // again after a lost race); UpdateItem: the suspension of both items; PutItem: its
    // token.exposed event.
    dynamodb: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
    partitions: ['credential', 'account', 'events'],
    // Anyone may call it: its own throttle keeps forged reports from taking the stage's capacity.
    throttle: { rateLimit: 10, burstLimit: 20 },
    tag: 'Secret scanning',
    summary: 'Report leaked tokens (GitHub secret scanning partner program)',
    description:
      'GitHub posts the strings its secret scanning matched with our token pattern, signed with ECDSA P-256 / SHA-256 (headers Github-Public-Key-Identifier and Github-Public-Key-Signature, a key from GitHub’s published list). Each live token of ours reported (its current secret, or the one a rotation replaced while its grace period runs) is suspended, reversibly, with a token.exposed event. No credential: a report without a valid signature gets 401 and changes nothing.',
    body: secretScanningBody,
    // A report may hold up to a thousand matches: above every other route's limit.
    bodyLimitBytes: REPORT_BODY_LIMIT_BYTES,
    success: {
      status: 200,
      description: 'The protocol’s feedback, one entry per match, in order',
      schema: secretScanningFeedbackSchema,
    },
    problems: [400, 401, 409, 413, 503],
  },
];

/** The REQUEST authorizer in front of every authenticated route. */
export const authorizer = {
  id: 'authorizer',
  // GetItem: the credential, a JWT caller's profile, and the shared key's value once per
  // container; UpdateItem: lastUsedAt on the credential and the listed token; PutItem: the
  // event of a replaced secret presented after its grace period.
  dynamodb: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'] as DynamoAction[],
  partitions: ['credential', 'user', 'config', 'account', 'events'] as Partition[],
};

/** Functions CloudFormation runs while deploying (custom resources). */
export const deployFunctions = [
  {
    id: 'publish-shared-key',
    dynamodb: ['dynamodb:PutItem'] as DynamoAction[],
    partitions: ['config'] as Partition[],
    /** Reads the value of the stack's unthrottled key (`apigateway:GET` on that key alone). */
    readsUnthrottledKey: true,
    summary: 'Copies the value of the unthrottled key into the table at deploy time, for the authorizer',
  },
];

/** Functions that no route calls: run on a schedule by the stack. */
export const scheduledFunctions = [
  {
    id: 'reconcile',
    /** EventBridge schedule expression. */
    schedule: 'rate(1 hour)',
    // Query: the plan records; UpdateItem and DeleteItem: token and plan repairs.
    dynamodb: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as DynamoAction[],
    partitions: ['account', 'credential', 'ratePlans'] as Partition[],
    /** Reads every token (Scan, which names no partition). */
    scansTable: true,
    apiKeys: 'reconcile' as ApiKeyAccess,
    summary: 'Reports and repairs drift between tokens and API Gateway keys and usage plans',
  },
  {
    id: 'lifecycle',
    schedule: 'rate(1 hour)',
    // Query: the lifecycle indexes, whose partitions are their shards; GetItem: a due token's
    // incarnation (its event's trail); UpdateItem: a token's next notice or its suspension,
    // and its credential; PutItem: each change's event.
    dynamodb: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'] as DynamoAction[],
    partitions: ['lifecycle', 'account', 'credential', 'events'] as Partition[],
    /** The table's indexes it queries (and no other). */
    indexes: ['notices', 'idle'],
    summary: 'Sends expiry notices (14, 7 and 1 day before, and at expiry) and suspends tokens unused for too long',
  },
];

/** Functions the table's stream invokes. */
export const streamFunctions = [
  {
    id: 'forward-events',
    // The stream's records arrive in the event: the table itself is not read.
    dynamodb: [] as DynamoAction[],
    partitions: [] as Partition[],
    /** Calls EventBridge's PutEvents on the stack's bus. */
    publishesEvents: true,
    summary: 'Publishes each audit event written to the table to the stack’s EventBridge bus',
  },
];

/** A route's body limit in bytes. */
export const bodyLimitOf = (route: Pick<Route, 'bodyLimitBytes'>): number => route.bodyLimitBytes ?? BODY_LIMIT_BYTES;

/** Entry file of a function, relative to the project root. */
export const entryOf = (id: string): string => `functions/${id}.ts`;

/**
 * Whether a function calls API Gateway's control plane (keys and plans, or the shared
 * key's value): its bundle carries the API Gateway SDK, as a file of its own
 * (`API_GATEWAY_MODULE` in `infra/cdk/bundling.ts`).
 */
export const callsApiGateway = (id: string): boolean =>
  routes.some((route) => route.id === id && route.apiKeys !== undefined) ||
  scheduledFunctions.some((fn) => fn.id === id && 'apiKeys' in fn && fn.apiKeys !== undefined) ||
  deployFunctions.some((fn) => fn.id === id && fn.readsUnthrottledKey);
