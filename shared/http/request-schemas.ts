import {
  array,
  boolean,
  enum as oneOf,
  extend,
  int,
  iso,
  maximum,
  maxLength,
  meta,
  minimum,
  minLength,
  nullable,
  object,
  optional,
  pipe,
  refine,
  regex,
  strictObject,
  string,
  transform,
} from 'zod/mini';
import {
  CIDRS_RULE,
  CURSOR_RULE,
  DATE_TIME_RULE,
  DIRECTORY_ID_RULE,
  EVENT_TYPE_RULE,
  EVENT_TYPES,
  FORCE_RULE,
  GRACE_RULE,
  INCARNATION_RULE,
  LIMIT_RULE,
  MAX_RPS_RULE,
  NOT_EMPTY,
  REQUIRED_STRING,
  SCOPE_RULE,
  SCOPES_EMPTY_RULE,
  SCOPES_RULE,
  STATUS_RULE,
  TOKEN_NAME_PATTERN,
  TOKEN_NAME_RULE,
  UPDATE_RULE,
} from './validation.js';
import { DIRECTORY_ID_PATTERN, INCARNATION_PATTERN } from '../kernel/model.js';
import { MAX_ALLOWED_CIDRS, parseCidr } from '../kernel/networks.js';
import { TOKEN_MAX_RPS } from '../kernel/rate-tiers.js';
import { DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS } from '../kernel/replaced-secrets.js';
import { orderedScopes, TOKEN_SCOPES } from '../kernel/restrictions.js';

/**
 * The request shapes as the OpenAPI document describes them (infra/openapi.ts): zod
 * schemas of the same shapes the endpoints validate with validation.ts's rules, from the
 * same texts. Nothing at run time imports this module; test/unit/request-rules.test.ts
 * checks that both give every generated body the same answer.
 */

export const tokenName = string({ error: REQUIRED_STRING }).check(regex(TOKEN_NAME_PATTERN, TOKEN_NAME_RULE));
export const maxRps = nullable(
  int({ error: MAX_RPS_RULE }).check(minimum(1, MAX_RPS_RULE), maximum(TOKEN_MAX_RPS, MAX_RPS_RULE)),
);
const isoDateTime = iso.datetime({ offset: true, error: DATE_TIME_RULE });
export const scopes = pipe(
  array(oneOf(TOKEN_SCOPES, { error: SCOPE_RULE }), { error: SCOPES_RULE }).check(minLength(1, SCOPES_EMPTY_RULE)),
  transform((list) => orderedScopes(list)),
);
// The networks' own checks are the rules' (validation.ts); here, the shape the document shows.
export const allowedCidrs = nullable(
  pipe(
    array(string({ error: 'must be a string' }), { error: CIDRS_RULE }).check(
      minLength(1, CIDRS_RULE),
      maxLength(MAX_ALLOWED_CIDRS, CIDRS_RULE),
    ),
    transform((list, context) => {
      const cidrs: string[] = [];
      list.forEach((text, index) => {
        const parsed = parseCidr(text);
        if ('problem' in parsed)
          context.issues.push({ code: 'custom', message: parsed.problem, path: [index], input: text });
        else if (!cidrs.includes(parsed.cidr)) cidrs.push(parsed.cidr);
      });
      return cidrs;
    }),
  ),
);

export const createTokenBody = strictObject({
  name: tokenName,
  maxRps: optional(maxRps),
  expiresAt: optional(nullable(isoDateTime)),
  scopes: optional(scopes),
  allowedCidrs: optional(allowedCidrs),
});
export const deprecatedCreateTokenBody = extend(createTokenBody, {
  serviceAccountId: string({ error: REQUIRED_STRING }).check(minLength(1, NOT_EMPTY)),
});
export const updateTokenBody = strictObject({
  status: optional(oneOf(['ACTIVE', 'SUSPENDED'], { error: STATUS_RULE })),
  maxRps: optional(maxRps),
  scopes: optional(scopes),
  allowedCidrs: optional(allowedCidrs),
}).check(
  refine((body) => Object.values(body).some((value) => value !== undefined), { message: UPDATE_RULE, path: ['body'] }),
);
export const pageQuery = object({
  limit: optional(
    pipe(string().check(regex(/^\d{1,3}$/, LIMIT_RULE)), transform(Number)).check(
      refine((n) => n >= 1 && n <= 100, LIMIT_RULE),
    ),
  ),
  nextToken: optional(string().check(minLength(1, NOT_EMPTY), maxLength(1024, CURSOR_RULE))),
});
export const directoryListQuery = extend(pageQuery, {
  q: optional(string().check(regex(DIRECTORY_ID_PATTERN, DIRECTORY_ID_RULE))),
});
export const tokenNamePath = object({ name: tokenName });
export const userIdPath = object({
  userId: string({ error: REQUIRED_STRING }).check(regex(DIRECTORY_ID_PATTERN, DIRECTORY_ID_RULE)),
});
export const rotateTokenBody = strictObject({
  gracePeriodSeconds: optional(
    int({ error: GRACE_RULE }).check(
      minimum(0, GRACE_RULE),
      maximum(MAX_GRACE_SECONDS, GRACE_RULE),
      // The contract says it (RotateTokenBody's default), so clients need not hard-code it.
      meta({ default: DEFAULT_GRACE_SECONDS }),
    ),
  ),
  force: optional(boolean({ error: FORCE_RULE })),
});
export const listEventsQuery = extend(pageQuery, {
  tokenName: optional(tokenName),
  type: optional(oneOf(EVENT_TYPES, { error: EVENT_TYPE_RULE })),
});
export const adminListEventsQuery = extend(listEventsQuery, {
  incarnation: optional(string().check(regex(INCARNATION_PATTERN, INCARNATION_RULE))),
});
