import type { FieldError } from '../kernel/errors.js';
import { DIRECTORY_ID_PATTERN, INCARNATION_PATTERN } from '../kernel/model.js';
import { MAX_ALLOWED_CIDRS, parseCidr } from '../kernel/networks.js';
import { TOKEN_MAX_RPS } from '../kernel/rate-tiers.js';
import { MAX_GRACE_SECONDS } from '../kernel/replaced-secrets.js';
import { orderedScopes, TOKEN_SCOPES } from '../kernel/restrictions.js';
import {
  array,
  boolean,
  extend,
  fail,
  int,
  maximum,
  maxLength,
  minimum,
  minLength,
  nullable,
  object,
  oneOf,
  optional,
  pipe,
  refine,
  regex,
  string,
} from './rules.js';

export { check } from './rules.js';

/**
 * The request shapes the endpoints validate, with the texts of their rules. The OpenAPI
 * document describes the same shapes with zod (request-schemas.ts, built from these texts);
 * test/unit/request-rules.test.ts checks that both give every generated body one answer.
 */

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const REQUIRED_STRING = 'is required and must be a string';
export const NOT_EMPTY = 'must not be empty';
export const TOKEN_NAME_RULE = 'must be 1 to 64 characters of A-Z a-z 0-9 . _ -';
export const MAX_RPS_RULE = `must be an integer from 1 to ${TOKEN_MAX_RPS}, or null`;
export const DATE_TIME_RULE = 'must be an ISO-8601 date-time with a time zone, or null';
export const SCOPE_RULE = `must be ${TOKEN_SCOPES.slice(0, -1).join(', ')} or ${TOKEN_SCOPES.at(-1)}`;
export const SCOPES_RULE = `must be a list of scopes (${TOKEN_SCOPES.join(', ')})`;
export const SCOPES_EMPTY_RULE = `must name at least one scope (${TOKEN_SCOPES.join(', ')})`;
export const CIDRS_RULE = `must be a list of 1 to ${MAX_ALLOWED_CIDRS} IPv4 or IPv6 networks (CIDRs), or null`;
export const STATUS_RULE = 'must be ACTIVE or SUSPENDED';
export const UPDATE_RULE = 'must set at least one of status, maxRps, scopes, allowedCidrs';
export const LIMIT_RULE = 'must be an integer from 1 to 100';
export const CURSOR_RULE = 'is not a valid cursor';
export const DIRECTORY_ID_RULE = 'must be 1 to 128 characters without whitespace, /, #, ? or %';
export const INCARNATION_RULE = 'must be legacy or an incarnation id (21 characters of 0-9 a-z)';
export const GRACE_RULE = `must be an integer from 0 to ${MAX_GRACE_SECONDS} (seconds)`;
export const FORCE_RULE = 'must be true or false';

// zod's ISO date-time with a required offset (`iso.datetime({ offset: true })`): the rules test compares the two.
export const DATE_TIME_PATTERN = new RegExp(
  '^(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:' +
    '(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))' +
    'T(?:(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:Z|([+-](?:[01]\\d|2[0-3]):[0-5]\\d)))$',
);
export const tokenName = string(REQUIRED_STRING, regex(TOKEN_NAME_PATTERN, TOKEN_NAME_RULE));
/**
 * A token's or a federation policy's limit: at most what one token's reads can reach
 * (`TOKEN_MAX_RPS`), the top of the rate tiers; a stage may allow less (`stageMaxRps`).
 */
export const maxRps = nullable(int(MAX_RPS_RULE, minimum(1, MAX_RPS_RULE), maximum(TOKEN_MAX_RPS, MAX_RPS_RULE)));
/**
 * The stage's own ceiling on `maxRps` (`MAX_RPS`) when it allows fewer than a token can
 * reach: a refusal names the lower of the two, whichever check refused it.
 */
export function stageMaxRps(maxRps: unknown, stageCeiling: number, errors: FieldError[]): void {
  const ceiling = Math.min(stageCeiling, TOKEN_MAX_RPS);
  if (ceiling === TOKEN_MAX_RPS) return;
  const rule = `must be an integer from 1 to ${ceiling}, or null`;
  for (const error of errors) if (error.field === 'maxRps') error.message = rule;
  if (typeof maxRps === 'number' && maxRps > ceiling && !errors.some((error) => error.field === 'maxRps'))
    errors.push({ field: 'maxRps', message: rule });
}

/** A token's scopes: a list of documented scopes, stored in their documented order without repeats. */
export const scopes = pipe(
  array(oneOf(TOKEN_SCOPES, SCOPE_RULE), SCOPES_RULE, minLength(1, SCOPES_EMPTY_RULE)),
  (list) => orderedScopes(list),
);
/**
 * A token's allowed networks: 1 to 20 CIDRs (a bare address is that address alone),
 * normalised and without repeats; each bad one named in its own field error
 * (`allowedCidrs.2`). Null: no restriction.
 */
export const allowedCidrs = nullable(
  pipe(
    array(string('must be a string'), CIDRS_RULE, minLength(1, CIDRS_RULE), maxLength(MAX_ALLOWED_CIDRS, CIDRS_RULE)),
    (list, payload) => {
      const cidrs: string[] = [];
      list.forEach((text, index) => {
        const parsed = parseCidr(text);
        if ('problem' in parsed) fail(payload, parsed.problem, [index]);
        else if (!cidrs.includes(parsed.cidr)) cidrs.push(parsed.cidr);
      });
      return cidrs;
    },
  ),
);

export const createTokenBody = object(
  {
    name: tokenName,
    maxRps: optional(maxRps),
    expiresAt: optional(nullable(string(DATE_TIME_RULE, regex(DATE_TIME_PATTERN, DATE_TIME_RULE)))),
    scopes: optional(scopes),
    allowedCidrs: optional(allowedCidrs),
  },
  { strict: true },
);
export const deprecatedCreateTokenBody = extend(createTokenBody, {
  serviceAccountId: string(REQUIRED_STRING, minLength(1, NOT_EMPTY)),
});
export const updateTokenBody = object(
  {
    status: optional(oneOf(['ACTIVE', 'SUSPENDED'], STATUS_RULE)),
    maxRps: optional(maxRps),
    scopes: optional(scopes),
    allowedCidrs: optional(allowedCidrs),
  },
  { strict: true },
  refine((body: object) => Object.values(body).some((value) => value !== undefined), UPDATE_RULE, ['body']),
);
/** A page of any listing: `limit` and `nextToken`. */
export const pageQuery = object({
  limit: optional(
    pipe(
      string(undefined, regex(/^\d{1,3}$/, LIMIT_RULE)),
      Number,
      refine((n: number) => n >= 1 && n <= 100, LIMIT_RULE),
    ),
  ),
  nextToken: optional(string(undefined, minLength(1, NOT_EMPTY), maxLength(1024, CURSOR_RULE))),
});
/** A directory listing: a page, of the ids that start with `q` when it is given. */
export const directoryListQuery = extend(pageQuery, {
  q: optional(string(undefined, regex(DIRECTORY_ID_PATTERN, DIRECTORY_ID_RULE))),
});
export const tokenNamePath = object({ name: tokenName });
export const userIdPath = object({ userId: string(REQUIRED_STRING, regex(DIRECTORY_ID_PATTERN, DIRECTORY_ID_RULE)) });

export const rotateTokenBody = object(
  {
    gracePeriodSeconds: optional(int(GRACE_RULE, minimum(0, GRACE_RULE), maximum(MAX_GRACE_SECONDS, GRACE_RULE))),
    force: optional(boolean(FORCE_RULE)),
  },
  { strict: true },
);

export const EVENT_TYPES = [
  'token.created',
  'token.updated',
  'token.rotated',
  'token.grace_period_ended',
  'token.deleted',
  'token.used_after_rotation',
  'token.refused_network',
  'token.expiring',
  'token.expired',
  'token.suspended_unused',
  'token.exposed',
  'token.exchanged',
  'token.exchange_refused',
  'federation_policy.created',
  'federation_policy.deleted',
] as const;
export const EVENT_TYPE_RULE = `must be one of ${EVENT_TYPES.join(', ')}`;
export const listEventsQuery = extend(pageQuery, {
  tokenName: optional(tokenName),
  type: optional(oneOf(EVENT_TYPES, EVENT_TYPE_RULE)),
});
/** On the admin path only: a past incarnation's trail (see shared/directory/incarnations.ts). */
export const adminListEventsQuery = extend(listEventsQuery, {
  incarnation: optional(string(undefined, regex(INCARNATION_PATTERN, INCARNATION_RULE))),
});
