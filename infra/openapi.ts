import { registry, toJSONSchema, type z } from 'zod/mini';
import { DIRECTORY_ID_PATTERN } from '../shared/kernel/model.js';
import { POLICY_ID_PATTERN } from '../shared/federation/validation.js';
import { oauthErrorSchema, problemSchema } from '../shared/http/response-schemas.js';
import { updateTokenBody } from '../shared/http/request-schemas.js';
import { TOKEN_NAME_PATTERN } from '../shared/http/validation.js';
import { CHALLENGE_DOCS } from '../shared/http/www-authenticate.js';
import { bodyLimitOf, type Route, routes } from './routes.js';

/**
 * The OpenAPI 3.1 document of the API, generated from the route table and the schemas
 * the functions validate with. `npm run openapi` writes it to docs/openapi.json; CI
 * checks that the committed copy is current and valid, and the integration tests check
 * every answer against it.
 */

type Json = Record<string, unknown>;

const PATH_PARAMETERS: Record<string, { description: string; schema: Json }> = {
  domain: {
    description: 'A domain of the directory',
    schema: { type: 'string', pattern: DIRECTORY_ID_PATTERN.source },
  },
  serviceAccountId: {
    description: 'The service account (a user of type SERVICE_ACCOUNT)',
    schema: { type: 'string', pattern: DIRECTORY_ID_PATTERN.source },
  },
  name: { description: 'The token’s name', schema: { type: 'string', pattern: TOKEN_NAME_PATTERN.source } },
  userId: {
    description: 'A user of the directory (a person or a service account)',
    schema: { type: 'string', pattern: DIRECTORY_ID_PATTERN.source },
  },
  policyId: { description: 'The federation policy', schema: { type: 'string', pattern: POLICY_ID_PATTERN.source } },
};

/** Problem answers every authenticated route may give, from the gateway or the function. */
const COMMON_PROBLEMS = [400, 401, 403, 413, 429, 500, 502, 503, 504];
/**
 * What the gateway may answer on a route without a credential: a malformed request, a body
 * over 10 MB, throttling, its own failures.
 */
const GATEWAY_PROBLEMS = [400, 403, 413, 429, 500, 502, 504];
const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400:
    'VALIDATION_FAILED: the path, query or body is invalid, and `errors` names every field; or BAD_REQUEST: the ' +
    'gateway could not read the request',
  401:
    'UNAUTHORIZED: no credential, or one that does not authenticate (the detail says why as far as the value ' +
    'shows, never whether a token exists); for a secret scanning report, no valid signature',
  403:
    'FORBIDDEN (no permission here, or refused by the gateway), NOT_SAME_GROUP (no group shared with the account), ' +
    'SOURCE_IP_NOT_ALLOWED (a token used outside its allowedCidrs), TOKEN_EXCEEDS_CALLER (a token caller asked for, ' +
    'or would reactivate, more than its own limits), PREVIOUS_SECRET_READ_ONLY (a replaced secret, in its grace ' +
    'period, may only call GET), or TOKEN_CANNOT_CREATE_POLICY (policies are made by people, not tokens)',
  404: 'SERVICE_ACCOUNT_NOT_FOUND, TOKEN_NOT_FOUND, USER_NOT_FOUND, POLICY_NOT_FOUND, or NOT_FOUND (no such route)',
  409: 'TOKEN_NAME_TAKEN, TOKEN_LIMIT_REACHED, POLICY_LIMIT_REACHED, or CONCURRENT_UPDATE (retry; see Retry-After)',
  415: 'UNSUPPORTED_MEDIA_TYPE: a body that is not JSON',
  429: 'THROTTLED: over the token’s maxRps; retry after Retry-After seconds',
  500: 'INTERNAL_ERROR: a bug; quote requestId',
  502: 'BAD_GATEWAY: the function failed',
  503:
    'SERVICE_UNAVAILABLE: a dependency failed in a retryable way; AUTHORIZER_FAILURE: the gateway got no answer ' +
    'from the authorizer; API_KEY_UNAVAILABLE: the gateway does not take the rate-limit key of a valid token ' +
    '(drift). All three: retry after Retry-After seconds',
  504: 'GATEWAY_TIMEOUT: the function did not answer in time',
};

const OAUTH_DESCRIPTIONS: Record<number, string> = {
  400:
    'invalid_request (a missing or malformed parameter), unsupported_grant_type, or invalid_grant (the subject token ' +
    'failed a check: once its signature verified, error_description names the check and the closest policy; before, ' +
    'it says only that the signature does not verify with the keys of an issuer the account trusts); or a gateway ' +
    'refusal as problem JSON',
  500: 'server_error: a bug; or a gateway failure as problem JSON',
  503:
    'temporarily_unavailable: the issuer’s keys could not be read, or a dependency failed; retry after Retry-After ' +
    'seconds',
};

/** Every route states its body limit; the 413 answer names it. */
const BODY_LIMIT_EXTENSION = 'x-body-limit-bytes';
function tooLarge(route: Route): string {
  const limit = `${bodyLimitOf(route).toLocaleString('en-US')} bytes`;
  const own = `a body over ${limit} (this route’s limit, ${BODY_LIMIT_EXTENSION}), refused before it is parsed`;
  return `${own}; a body over 10 MB is refused by the gateway`;
}

const HEADER_DESCRIPTIONS: Record<string, string> = {
  Location: 'The path of what was created',
  'Cache-Control': 'no-store: the answer holds a secret',
  Deprecation: 'RFC 9745: when this operation was deprecated',
  Link: 'The successor operation, rel="successor-version"',
};

/** Every 401 says how to authenticate (RFC 9110 §11.6.1): Bearer, or the scanner's signature. */
const challengeHeader = (route: Route): Json => ({
  description: CHALLENGE_DOCS[route.auth === 'authenticated' ? 'bearer' : 'signature'],
  schema: { type: 'string' },
});

/** Request and answer schemas, each once, under #/components/schemas. */
function componentSchemas(): { schemas: Json; refOf: (schema: z.ZodMiniType) => Json } {
  const named = new Map<z.ZodMiniType, string>();
  const components = registry<{ id: string }>();
  const add = (schema: z.ZodMiniType, id: string) => {
    if (named.has(schema)) return;
    named.set(schema, id);
    components.add(schema, { id });
  };
  add(problemSchema, 'Problem');
  add(oauthErrorSchema, 'OAuthError');
  for (const route of routes) {
    if (route.body) add(route.body, schemaName(route.id, 'Body'));
    if (route.success.schema) add(route.success.schema, schemaName(route.id, 'Answer'));
  }
  const { schemas } = toJSONSchema(components, {
    target: 'draft-2020-12',
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
    // A refinement JSON Schema cannot express by itself: a PATCH must set something.
    override: (context) => {
      if (context.zodSchema === updateTokenBody) context.jsonSchema.minProperties = 1;
    },
  }) as { schemas: Json };
  for (const schema of Object.values(schemas)) tidy(schema);
  return {
    schemas,
    refOf: (schema) => ({ $ref: `#/components/schemas/${named.get(schema)}` }),
  };
}

/** Names that read well in the document: `CreateTokenBody`, `Token`, `TokenList`. */
const KNOWN_NAMES: Record<string, string> = {
  'create-domain-token:Body': 'CreateTokenBody',
  'create-domain-token-deprecated:Body': 'DeprecatedCreateTokenBody',
  'update-domain-token:Body': 'UpdateTokenBody',
  'create-domain-token:Answer': 'CreatedToken',
  'update-domain-token:Answer': 'Token',
  // The first route to use the token's schema: it names it for every other.
  'self-token:Answer': 'Token',
  'rotate-domain-token:Body': 'RotateTokenBody',
  'rotate-domain-token:Answer': 'RotatedToken',
  'list-domain-token-events:Answer': 'TokenEventList',
  'list-domain-incarnations:Answer': 'IncarnationList',
  'list-domain-tokens:Answer': 'TokenList',
  'whoami:Answer': 'WhoAmI',
  'list-domain-members:Answer': 'MemberList',
  'get-domain-member:Answer': 'Member',
  'list-users:Answer': 'UserList',
  'get-user:Answer': 'User',
  'health:Answer': 'Health',
  'github-secret-scanning:Body': 'SecretScanningReport',
  'github-secret-scanning:Answer': 'SecretScanningFeedback',
  'create-domain-federation-policy:Body': 'CreateFederationPolicyBody',
  'create-domain-federation-policy:Answer': 'FederationPolicy',
  'list-domain-federation-policies:Answer': 'FederationPolicyList',
  'test-domain-federation-policy:Body': 'TestFederationPolicyBody',
  'test-domain-federation-policy:Answer': 'FederationPolicyTest',
  'exchange-token:Body': 'TokenExchangeForm',
  'exchange-token:Answer': 'TokenExchangeAnswer',
};
function schemaName(routeId: string, part: 'Body' | 'Answer'): string {
  return KNOWN_NAMES[`${routeId.replace('-admin-', '-domain-')}:${part}`] ?? `${routeId}-${part}`;
}

/**
 * Drops what only adds noise to the document: `$schema` and `$id` on each component, the
 * long regular expression zod writes beside `format: date-time`, and the bounds of "any
 * safe integer" on integers that have no bounds of their own.
 */
function tidy(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  const record = node as Json;
  delete record.$schema;
  delete record.$id;
  if (record.format === 'date-time') delete record.pattern;
  if (record.minimum === Number.MIN_SAFE_INTEGER) delete record.minimum;
  if (record.maximum === Number.MAX_SAFE_INTEGER) delete record.maximum;
  for (const value of Object.values(record)) tidy(value);
}

function operation(route: Route, refOf: (schema: z.ZodMiniType) => Json): Json {
  const parameters = [
    ...[...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      ...PATH_PARAMETERS[name!],
    })),
    ...(route.query ?? []).map((parameter) => ({ ...parameter, in: 'query', required: false })),
  ];
  const problems = [
    ...new Set([...route.problems, ...(route.auth === 'authenticated' ? COMMON_PROBLEMS : GATEWAY_PROBLEMS)]),
  ].sort((a, b) => a - b);
  const responses: Json = {
    [route.success.status]: {
      description: route.success.description,
      ...(route.success.headers
        ? {
            headers: Object.fromEntries(
              route.success.headers.map((name) => [
                name,
                { description: HEADER_DESCRIPTIONS[name], schema: { type: 'string' } },
              ]),
            ),
          }
        : {}),
      ...(route.success.schema ? { content: { 'application/json': { schema: refOf(route.success.schema) } } } : {}),
    },
  };
  for (const status of problems) {
    responses[status] = {
      description: status === 413 ? `PAYLOAD_TOO_LARGE: ${tooLarge(route)}` : PROBLEM_DESCRIPTIONS[status],
      ...(status === 401 ? { headers: { 'WWW-Authenticate': challengeHeader(route) } } : {}),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  // The function's own refusals in OAuth's shape (the gateway's stay problem JSON).
  for (const status of route.oauthErrors ?? []) {
    const problem = responses[status] as { content?: Json } | undefined;
    responses[status] = {
      description: status === 413 ? `invalid_request: ${tooLarge(route)} (problem JSON)` : OAUTH_DESCRIPTIONS[status],
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } },
        ...(problem?.content ?? {}),
      },
    };
  }
  return {
    operationId: route.id,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    ...(route.deprecated ? { deprecated: true } : {}),
    ...(route.auth === 'none' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: route.bodyOptional !== true,
            content: { [route.bodyMediaType ?? 'application/json']: { schema: refOf(route.body) } },
          },
        }
      : {}),
    [BODY_LIMIT_EXTENSION]: bodyLimitOf(route),
    responses,
  };
}

export function openApiDocument(): Json {
  const { schemas, refOf } = componentSchemas();
  const paths: Record<string, Json> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, refOf);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Service account access tokens',
      version: '1.0.0',
      description:
        'Issues and enforces access tokens for service accounts. Errors are RFC 9457 problem JSON. ' +
        'Every operation states the most bytes of request body it takes in `x-body-limit-bytes`: ' +
        'a longer body is refused with 413 before it is parsed. ' +
        'Generated from the route table (infra/routes/) by `npm run openapi`.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'npm start' }],
    tags: [
      { name: 'Tokens', description: 'A service account’s access tokens' },
      { name: 'Audit', description: 'The audit trail of a service account’s tokens' },
      {
        name: 'Federation',
        description:
          'CI jobs trade their OIDC token for a short-lived access token: policies, the exchange, and a policy test',
      },
      { name: 'Identity', description: 'Who is calling' },
      { name: 'Directory', description: 'Domains’ members and the directory’s users, as the console lists them' },
      { name: 'Service', description: 'The service itself' },
      { name: 'Secret scanning', description: 'Leaked tokens reported by secret scanners, which sign their reports' },
    ],
    security: [{ accessToken: [] }, { bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        accessToken: {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Token',
          description: 'An access token (iomsat_…); also accepted as Authorization: Bearer',
        },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An OIDC JWT from the configured identity provider',
        },
      },
      schemas,
    },
  };
}
