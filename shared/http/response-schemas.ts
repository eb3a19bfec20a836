import { EVENT_TYPES } from './validation.js';
import { TOKEN_SCOPES } from '../kernel/restrictions.js';
import {
  array,
  boolean,
  describe,
  enum as oneOf,
  int,
  iso,
  literal,
  nullable,
  optional,
  record,
  strictObject,
  string,
  union,
} from 'zod/mini';

/**
 * The shapes of the API's answers, for its OpenAPI document (`docs/openapi.json`). The
 * functions build their answers in code; the integration tests check every answer they
 * get against the document, so the two cannot drift apart.
 */

const timestamp = iso.datetime({ offset: true });
export const scopesSchema = array(oneOf(TOKEN_SCOPES));
export const allowedCidrsSchema = nullable(array(string()));

const suspensionSchema = strictObject({
  reason: oneOf(['MANUAL', 'SECRET_SCANNING', 'UNUSED']).check(
    describe('MANUAL: by someone (by); SECRET_SCANNING: reported leaked by GitHub; UNUSED: by the lifecycle job'),
  ),
  at: timestamp,
  by: nullable(string()).check(describe('MANUAL: the person, or the service account whose token did it')),
  byToken: nullable(string()).check(describe('MANUAL by a token: that token’s name')),
  unusedDays: nullable(int()).check(describe('UNUSED: the days it had gone unused')),
});

export const tokenSchema = strictObject({
  name: string().check(describe('Unique per service account: 1–64 of A-Z a-z 0-9 . _ -')),
  serviceAccountId: string(),
  status: oneOf(['ACTIVE', 'SUSPENDED', 'EXPIRED']).check(
    describe('EXPIRED once expiresAt has passed, whatever the stored status'),
  ),
  maxRps: nullable(int()).check(
    describe('Requests per second the token may make (rate N, burst N); null: no limit, shown as "None"'),
  ),
  enforcedMaxRps: nullable(int()).check(
    describe(
      'The rate API Gateway holds the token to: the largest rate tier at or below maxRps, never more than 20 % ' +
        'below it (docs/rate-limiting.md lists the tiers); null: no limit. npm start enforces maxRps itself.',
    ),
  ),
  expiresAt: nullable(timestamp).check(describe('When the token stops working; null: never')),
  createdAt: timestamp,
  createdBy: string().check(describe('The user, or service account, that created it')),
  updatedAt: timestamp,
  lastUsedAt: nullable(timestamp).check(describe('Recorded at most once a minute; null: never used')),
  prefix: string().check(describe('The non-secret start of the token, to recognise it')),
  rotatedAt: nullable(timestamp).check(describe('When the secret was last replaced; null: never rotated')),
  rotatedBy: nullable(string()).check(describe('Who last rotated it')),
  previousSecret: nullable(
    strictObject({
      validUntil: timestamp.check(describe('The replaced secret works until then')),
      lastUsedAt: nullable(timestamp).check(
        describe('When something last presented the replaced secret (at most once a minute)'),
      ),
    }),
  ).check(describe('The secret the last rotation replaced, while it still works; null otherwise')),
  kind: oneOf(['STORED', 'FEDERATED']).check(
    describe('FEDERATED: issued by a federation exchange for a CI job’s OIDC token; not counted in the token limit'),
  ),
  policyName: nullable(string()).check(describe('The federation policy that issued it; null for stored tokens')),
  scopes: scopesSchema.check(describe('What it may do: tokens:read, tokens:write (this service), api (behind it)')),
  allowedCidrs: allowedCidrsSchema.check(describe('The networks (CIDRs) it may call from; null: anywhere')),
  suspension: nullable(suspensionSchema).check(
    describe('Why it is suspended, written with the suspension; null while active, and if suspended before this field'),
  ),
});

export const createdTokenSchema = strictObject({
  ...tokenSchema.shape,
  token: string().check(describe('The whole token: shown in this answer only, never again')),
});

export const rotatedTokenSchema = strictObject({
  ...tokenSchema.shape,
  token: string().check(describe('The whole new token: shown in this answer only, never again')),
});

// Scopes and networks are lists.
const fieldChangeSchema = strictObject({
  before: nullable(union([string(), int(), array(string())])),
  after: nullable(union([string(), int(), array(string())])),
});

// The policy, as its answers and its events show it.
export const federationPolicySchema = strictObject({
  policyId: string(),
  serviceAccountId: string(),
  name: string(),
  issuer: string().check(describe('Compared exactly with the subject token’s iss; keys found by OIDC discovery')),
  jwksHosts: array(string()).check(
    describe('Other hosts that may serve the issuer’s keys (discovery’s jwks_uri); empty: the issuer’s host only'),
  ),
  audiences: array(string()).check(describe('The subject token’s aud must hold one of these')),
  subject: string().check(describe('Exact, or a pattern: * within a :-separated segment, ** across segments')),
  claims: record(string(), array(string())).check(describe('Each claim must match one of its patterns')),
  maxTtlSeconds: int().check(describe('The longest life of an issued token')),
  maxTokenAgeSeconds: int().check(describe('The oldest subject token accepted, by its iat')),
  maxRps: nullable(int()).check(describe('Requests per second shared by all tokens the policy issues; null: no limit')),
  scopes: scopesSchema.check(describe('The scopes of the tokens it issues')),
  allowedCidrs: allowedCidrsSchema.check(describe('The networks its tokens may call from; null: anywhere')),
  createdBy: string(),
  createdAt: timestamp,
});

export const tokenEventSchema = strictObject({
  id: string().check(describe('Sortable: later events have greater ids')),
  time: timestamp,
  type: oneOf([...EVENT_TYPES]),
  serviceAccountId: string(),
  tokenName: string(),
  actor: strictObject({
    userId: string(),
    authenticatedBy: oneOf(['JWT', 'ACCESS_TOKEN', 'SYSTEM']).check(
      describe('SYSTEM: the service itself (a directory import)'),
    ),
    tokenName: optional(string()).check(describe('The acting token, when a token acted')),
    secret: optional(oneOf(['current', 'previous'])).check(
      describe(
        'Which of its secrets the acting token presented, when a token acted: its current one, ' +
          'or the one the last rotation replaced, in its grace period',
      ),
    ),
  }),
  requestId: nullable(string()),
  sourceIp: nullable(string()),
  userAgent: nullable(string()),
  changes: record(string(), fieldChangeSchema).check(describe('Each changed field, before and after; never a secret')),
  details: optional(record(string(), nullable(union([string(), int()])))).check(
    describe(
      'On lifecycle events: daysBefore and expiresAt (token.expiring, token.expired), inactiveSince and unusedDays ' +
        '(token.suspended_unused), reporter, url, source and secret (token.exposed); on token.used_after_rotation, ' +
        'retiredAt (when the secret presented stopped working)',
    ),
  ),
  exchange: optional(
    strictObject({
      policyId: nullable(string()),
      policyName: nullable(string()),
      issuer: nullable(string()).check(
        describe('The subject token’s iss (as presented on a refusal), at most 200 characters'),
      ),
      subject: nullable(string()),
      jti: nullable(string()),
      error: optional(string()).check(describe('On a refusal: the OAuth error code')),
      reason: optional(string()).check(describe('On a refusal: the failed check and why')),
    }),
  ).check(
    describe(
      'On token.exchanged and token.exchange_refused: the policy and the subject token’s claims; never the token ' +
        'itself',
    ),
  ),
  policy: optional(federationPolicySchema).check(
    describe('On federation_policy.created and federation_policy.deleted: the whole policy (tokenName is empty)'),
  ),
  incarnation: optional(string()).check(
    describe('The incarnation of the account whose trail holds it; absent for an account created before incarnations'),
  ),
});

export const incarnationSchema = strictObject({
  incarnation: string().check(
    describe('Its name: `legacy` (an account older than incarnations), or the id the import gave it'),
  ),
  current: boolean().check(describe('The account the directory holds now')),
  startedAt: nullable(timestamp).check(describe('When an import created it; null for legacy')),
  endedAt: nullable(timestamp).check(describe('When an import began to remove it (or retype it); null while it lasts')),
});

export const incarnationListSchema = strictObject({
  incarnations: array(incarnationSchema).check(
    describe('Those whose groups (now, or when they ended) include one of the caller’s; newest first'),
  ),
});

export const tokenEventListSchema = strictObject({
  events: array(tokenEventSchema),
  nextToken: nullable(string()).check(describe('Pass as nextToken for the next page; null on the last page')),
});

export const tokenListSchema = strictObject({
  tokens: array(tokenSchema),
  nextToken: nullable(string()).check(describe('Pass as nextToken for the next page; null on the last page')),
});

export const secretScanningFeedbackSchema = array(
  strictObject({
    token_hash: string().check(describe('Hex SHA-256 of the reported string (never the string)')),
    token_type: string().check(describe('The type the match was reported with')),
    label: oneOf(['true_positive', 'false_positive']).check(
      describe('true_positive: a live token of ours, now suspended; false_positive: anything else'),
    ),
  }),
);

export const healthSchema = strictObject({ status: literal('ok') });

export const fieldErrorSchema = strictObject({ field: string(), message: string() });

export const problemSchema = strictObject({
  type: string().check(describe('A URN naming the problem: urn:service-account-tokens:problem:<code>')),
  title: string(),
  status: optional(int()).check(
    describe('The HTTP status; absent only from the gateway’s catch-all refusals, whose status API Gateway keeps'),
  ),
  detail: string(),
  code: string().check(
    describe('Stable, machine-readable: VALIDATION_FAILED, UNAUTHORIZED, FORBIDDEN, NOT_SAME_GROUP, …'),
  ),
  errors: optional(array(fieldErrorSchema)).check(describe('On 400 VALIDATION_FAILED: every invalid field')),
  requestId: optional(string()).check(describe('On 5xx: quote it when reporting the failure')),
  requiredScope: optional(oneOf(TOKEN_SCOPES)).check(describe('On 403 INSUFFICIENT_SCOPE: the scope the call needs')),
  responseType: optional(string()).check(
    describe('On REQUEST_REFUSED: the gateway’s own name for the refusal (WAF_FILTERED, …)'),
  ),
});

// ---------------------------------------------------------------- federation

export const federationPolicyListSchema = strictObject({ policies: array(federationPolicySchema) });

export const policyTestSchema = strictObject({
  policyId: string(),
  policyName: string(),
  passed: boolean().check(describe('Whether an exchange of this token would be accepted by this policy now')),
  checks: array(strictObject({ name: string(), passed: boolean(), detail: string() })).check(
    describe('Every check an exchange makes, in order'),
  ),
});

export const exchangedTokenSchema = strictObject({
  access_token: string().check(describe('An access token (iomsat_…) of the service account, shown this once')),
  issued_token_type: literal('urn:ietf:params:oauth:token-type:access_token'),
  token_type: literal('Bearer'),
  expires_in: int().check(
    describe('Seconds: the least of requested_ttl, the policy’s maxTtlSeconds and the subject token’s remaining life'),
  ),
});

export const oauthErrorSchema = strictObject({
  error: oneOf([
    'invalid_request',
    'invalid_grant',
    'unsupported_grant_type',
    'temporarily_unavailable',
    'server_error',
  ]),
  error_description: string().check(
    describe('Which check failed; for invalid_grant on a token whose signature verified, the closest policy too'),
  ),
});

export const exchangeFormSchema = strictObject({
  grant_type: literal('urn:ietf:params:oauth:grant-type:token-exchange'),
  subject_token: string().check(describe('The CI job’s OIDC token (a JWT signed RS256 or ES256)')),
  subject_token_type: literal('urn:ietf:params:oauth:token-type:jwt'),
  service_account_id: string(),
  requested_ttl: optional(string().check(describe('Seconds, a whole number'))),
});
