import type { Partition } from '../shared/dynamodb/keys.js';
import type { ApiKeyAccess } from './api-key-access.js';
import type { DynamoAction, Route } from './route-types.js';
import { BODY_LIMIT_BYTES } from '../shared/http/body-limit.js';
import { REPORT_BODY_LIMIT_BYTES } from '../shared/scanning/reports.js';
import { secretScanningBody } from '../shared/scanning/report-schema.js';
import {
  healthSchema,
  incarnationListSchema,
  secretScanningFeedbackSchema,
  exchangedTokenSchema,
  exchangeFormSchema,
  tokenSchema,
} from '../shared/http/response-schemas.js';
import { whoamiSchema } from '../shared/http/directory-schemas.js';
import { ADMIN_BASE, EXCHANGE, LIST, PROFILES, WHOAMI } from './routes/common.js';
import { directoryRoutes } from './routes/directory.js';
import { federationRoutes } from './routes/federation.js';
import { tokenRoutes } from './routes/tokens.js';

/**
 * The route table: the single source of truth for every endpoint's method, path,
 * Lambda entry, authentication, data access and contract. The CDK stack, the local
 * gateway and the OpenAPI document (`docs/openapi.json`) are all generated from it;
 * adding an endpoint is one row here plus one file in `functions/`.
 */

export type { DynamoAction, Route } from './route-types.js';

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
      'Any authenticated caller, by JWT or by access token: who it is, and what it may do (admin or not, its ' +
      'domains, where it may manage tokens).',
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
      'For a caller authenticated by an access token: its status, limit, expiry, last use and rotation state. A ' +
      'JWT caller gets 400.',
    success: { status: 200, description: 'The calling token', schema: tokenSchema },
    problems: [400, 404],
  },
  {
    id: 'exchange-token',
    method: 'POST',
    path: '/api/v1/auth/token',
    auth: 'none',
    noAuthorizerBecause:
      'The token exchange takes no credential header by design (RFC 8693): the signed subject token in its body ' +
      'is the credential, verified by the function; the method has its own throttle.',
    dynamodb: EXCHANGE,
    partitions: ['user', 'account', 'credential', 'events', 'replay'],
    bodyMediaType: 'application/x-www-form-urlencoded',
    body: exchangeFormSchema,
    oauthErrors: [400, 413, 500, 503],
    throttle: { rateLimit: 50, burstLimit: 100 },
    tag: 'Federation',
    summary: 'Exchange a CI job’s OIDC token for an access token (RFC 8693)',
    description:
      'No credential header: the subject token is the credential. Accepted when one of the service account’s ' +
      'federation policies accepts the token (issuer, signature, audience, subject, claims, age) and its jti was ' +
      'not used before. Refusals are RFC 6749 §5.2 errors naming the failed check; an issuer whose keys cannot ' +
      'be read is 503 with Retry-After. Every exchange whose subject token verified, refused or not, is an audit ' +
      'event.',
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
      'GitHub signs each report (ECDSA over the raw body, with a key it publishes); the function verifies the ' +
      'signature before reading anything.',
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
      'GitHub posts the strings its secret scanning matched with our token pattern, signed with ECDSA P-256 / ' +
      'SHA-256 (headers Github-Public-Key-Identifier and Github-Public-Key-Signature, a key from GitHub’s ' +
      'published list). Each live token of ours reported (its current secret, or the one a rotation replaced ' +
      'while its grace period runs) is suspended, reversibly, with a token.exposed event. No credential: a ' +
      'report without a valid signature gets 401 and changes nothing.',
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
  // GetItem: the credential, a JWT caller's profile, and the shared keys' values every few
  // minutes per container; UpdateItem: lastUsedAt on the credential and the listed token;
  // PutItem: the event of a replaced secret presented after its grace period.
  dynamodb: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'] as DynamoAction[],
  partitions: ['credential', 'user', 'config', 'account', 'events'] as Partition[],
};

/** Functions CloudFormation runs while deploying (custom resources). */
export const deployFunctions = [
  {
    id: 'publish-shared-key',
    dynamodb: ['dynamodb:PutItem'] as DynamoAction[],
    partitions: ['config'] as Partition[],
    /** Reads the values of the stack's unthrottled and pooled keys (`apigateway:GET` on those keys alone). */
    readsUnthrottledKey: true,
    summary:
      'Copies the values of the unthrottled key and the rate tiers’ pooled keys into the table at deploy time, for ' +
      'the authorizer',
  },
];

/** Functions that no route calls: run on a schedule by the stack. */
export const scheduledFunctions = [
  {
    id: 'reconcile',
    /** EventBridge schedule expression. */
    schedule: 'rate(1 hour)',
    // Query: the rate keys index (its partitions are its shards) and the capacity's shards;
    // GetItem: the tier plans' ids; UpdateItem: a shard's count set back; PutItem and
    // DeleteItem: its lease.
    dynamodb: [
      'dynamodb:Query',
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
    ] as DynamoAction[],
    partitions: ['rateKeys', 'capacity', 'config'] as Partition[],
    /** The table's indexes it queries (and no other). */
    indexes: ['ratekeys'],
    apiKeys: 'reconcile' as ApiKeyAccess,
    /** Queues what it finds for the key worker. */
    keyChanges: true,
    summary:
      'Finds tokens and policies whose API keys are out of step (from an index, never a scan) and queues them for ' +
      'the key worker; counts the account’s keys',
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

/** Functions a queue invokes. */
export const queueFunctions = [
  {
    id: 'key-worker',
    // GetItem: the owner, as stored now, and the tier plans' ids (once); UpdateItem: its key
    // fields (a token's on both its items).
    dynamodb: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as DynamoAction[],
    partitions: ['account', 'credential', 'config'] as Partition[],
    apiKeys: 'worker' as ApiKeyAccess,
    summary:
      'The key worker: makes, moves and deletes the API keys of tokens and policies with a maxRps, one change at a ' +
      'time, paced within the account’s control-plane quota',
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
