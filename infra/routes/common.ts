import type { Partition } from '../../shared/dynamodb/keys.js';
import type { DynamoAction, QueryParameter } from '../route-types.js';
import { INCARNATION_PATTERN } from '../../shared/kernel/model.js';
import { EVENT_TYPES, TOKEN_NAME_PATTERN } from '../../shared/http/validation.js';
import { createdTokenSchema } from '../../shared/http/response-schemas.js';

/** What the routes of every feature share: their bases, the table access they need, their problems. */

export const DOMAIN_BASE = '/api/v1/domains/{domain}/auth/service-accounts';
export const ADMIN_BASE = '/api/v1/auth/service-accounts';

// Every token route reads the caller and the account (GetItem); then its own operation.
export const WHOAMI: DynamoAction[] = ['dynamodb:GetItem'];
export const LIST: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:Query'];
// Query: the recount when the limit is hit (TTL may have removed tokens), and the capacity's
// shards when the one a limited token took was full; ConditionCheckItem: the account is
// still a service account, in the create's transaction.
export const CREATE: DynamoAction[] = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
];
// PutItem: every change writes its audit event in its own transaction; Query: the capacity's
// shards when a limit set finds its shard full.
export const UPDATE: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
export const DELETE: DynamoAction[] = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:UpdateItem',
];
export const ROTATE: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
// The partitions: the caller's and the account's profiles (every token route; a profile
// holds its grants, so no route reads the domains), the account's tokens, their
// credentials, the capacity's shards (a limit taken or given back), and the account's audit events.
export const PROFILES: Partition[] = ['user'];
export const KEYED_WRITE: Partition[] = [...PROFILES, 'account', 'credential', 'capacity', 'events'];

export const pageQuery = (what: string): QueryParameter[] => [
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
export const LIST_QUERY = pageQuery('Tokens');
/** Checks every token route makes: validation, permission and same group, the account, then its own. */
export const TOKEN_PROBLEMS = [400, 403, 404];
export const CREATED = {
  status: 201,
  description: 'The token, with its secret (shown this once)',
  schema: createdTokenSchema,
  headers: ['Location', 'Cache-Control'],
};
export const CREATE_PROBLEMS = [...TOKEN_PROBLEMS, 409, 415];
export const EVENTS_QUERY: QueryParameter[] = [
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
export const ADMIN_EVENTS_QUERY: QueryParameter[] = [
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

// Policies: the account's partition holds them and their counter. Create and delete take
// or give back a limited policy's place in the capacity, and write their event (PutItem on
// the account's events).
export const POLICY_READ: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:Query'];
export const POLICY_CREATE: DynamoAction[] = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
];
export const POLICY_DELETE: DynamoAction[] = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];
// The exchange: the account's policies (Query), the jti (PutItem), the issued token with its
// event, checked against the account and the policy (a transaction), or a refusal's event.
export const EXCHANGE: DynamoAction[] = ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'];
