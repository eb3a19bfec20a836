/**
 * The route table: the single source of truth for every endpoint's method, path,
 * Lambda entry, authentication and data access. The CDK stack and the local gateway
 * are both generated from it; adding an endpoint is one row here plus one file in
 * `functions/`.
 */

export type DynamoAction = 'dynamodb:GetItem' | 'dynamodb:Query' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem';

export interface Route {
  /** Lambda name suffix and the file `functions/<id>.ts`. */
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway resource path, with `{param}` segments. */
  path: string;
  /** `none`: no authorizer and no API key (health only). */
  auth: 'none' | 'authenticated';
  /** DynamoDB actions the function needs on the table, and nothing more. */
  dynamodb: DynamoAction[];
  /** Body is JSON the function validates (API Gateway checks it is an object first). */
  jsonBody?: boolean;
  /** Keeps API Gateway keys and usage plans in step with tokens (create, update, delete). */
  managesApiKeys?: boolean;
  deprecated?: boolean;
  summary: string;
}

const DOMAIN_BASE = '/api/v1/domains/{domain}/auth/service-accounts';
const ADMIN_BASE = '/api/v1/auth/service-accounts';

// Every token route reads the caller and the account (GetItem); then its own operation.
const WHOAMI: DynamoAction[] = ['dynamodb:GetItem'];
const LIST: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:Query'];
// Query: the recount when the limit is hit (TTL may have removed tokens).
const CREATE: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
const UPDATE: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:UpdateItem'];
const DELETE: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'];

export const routes: Route[] = [
  { id: 'health', method: 'GET', path: '/health', auth: 'none', dynamodb: [], summary: 'Liveness' },
  { id: 'whoami', method: 'GET', path: '/api/v1/auth/whoami', auth: 'authenticated', dynamodb: WHOAMI, summary: 'Who the caller is' },

  { id: 'list-domain-tokens', method: 'GET', path: `${DOMAIN_BASE}/{serviceAccountId}/tokens`, auth: 'authenticated', dynamodb: LIST, summary: 'List tokens (domain)' },
  { id: 'create-domain-token', managesApiKeys: true, method: 'POST', path: `${DOMAIN_BASE}/{serviceAccountId}/tokens`, auth: 'authenticated', dynamodb: CREATE, jsonBody: true, summary: 'Create a token (domain)' },
  { id: 'update-domain-token', managesApiKeys: true, method: 'PATCH', path: `${DOMAIN_BASE}/{serviceAccountId}/tokens/{name}`, auth: 'authenticated', dynamodb: UPDATE, jsonBody: true, summary: 'Update a token (domain)' },
  { id: 'delete-domain-token', managesApiKeys: true, method: 'DELETE', path: `${DOMAIN_BASE}/{serviceAccountId}/tokens/{name}`, auth: 'authenticated', dynamodb: DELETE, summary: 'Delete a token (domain)' },
  { id: 'create-domain-token-deprecated', managesApiKeys: true, method: 'POST', path: `${DOMAIN_BASE}/tokens`, auth: 'authenticated', dynamodb: CREATE, jsonBody: true, deprecated: true, summary: 'Create a token, account in body (domain, deprecated)' },

  { id: 'list-admin-tokens', method: 'GET', path: `${ADMIN_BASE}/{serviceAccountId}/tokens`, auth: 'authenticated', dynamodb: LIST, summary: 'List tokens (admin)' },
  { id: 'create-admin-token', managesApiKeys: true, method: 'POST', path: `${ADMIN_BASE}/{serviceAccountId}/tokens`, auth: 'authenticated', dynamodb: CREATE, jsonBody: true, summary: 'Create a token (admin)' },
  { id: 'update-admin-token', managesApiKeys: true, method: 'PATCH', path: `${ADMIN_BASE}/{serviceAccountId}/tokens/{name}`, auth: 'authenticated', dynamodb: UPDATE, jsonBody: true, summary: 'Update a token (admin)' },
  { id: 'delete-admin-token', managesApiKeys: true, method: 'DELETE', path: `${ADMIN_BASE}/{serviceAccountId}/tokens/{name}`, auth: 'authenticated', dynamodb: DELETE, summary: 'Delete a token (admin)' },
  { id: 'create-admin-token-deprecated', managesApiKeys: true, method: 'POST', path: `${ADMIN_BASE}/tokens`, auth: 'authenticated', dynamodb: CREATE, jsonBody: true, deprecated: true, summary: 'Create a token, account in body (admin, deprecated)' },
];

/** The REQUEST authorizer in front of every authenticated route. */
export const authorizer = {
  id: 'authorizer',
  dynamodb: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as DynamoAction[],
  /** Reads the unthrottled plan's key value once per cold start (`apigateway:GET` on that key). */
  readsUnthrottledKey: true,
};

/** Functions that no route calls: run on a schedule by the stack. */
export const scheduledFunctions = [
  {
    id: 'reconcile',
    /** EventBridge schedule expression. */
    schedule: 'rate(1 hour)',
    dynamodb: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'] as DynamoAction[],
    scansTable: true,
    managesApiKeys: true,
    summary: 'Reports and repairs drift between tokens and API Gateway keys and usage plans',
  },
];

/** Entry file of a function, relative to the project root. */
export const entryOf = (id: string): string => `functions/${id}.ts`;
