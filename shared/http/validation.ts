// zod/mini with named imports: tree-shaken to a few KB, where the `z` namespace pulls the
// whole library (~450 KB) into every bundle and ~40 ms into every cold start.
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
import type { z } from 'zod/mini';
import type { FieldError } from '../kernel/errors.js';
import { DIRECTORY_ID_PATTERN, INCARNATION_PATTERN } from '../kernel/model.js';
import { MAX_ALLOWED_CIDRS, parseCidr } from '../kernel/networks.js';
import { TOKEN_MAX_RPS } from '../kernel/rate-tiers.js';
import { orderedScopes, TOKEN_SCOPES } from '../kernel/restrictions.js';

/**
 * Request shapes (docs/openapi.json), and the one function that turns zod issues into
 * field errors.
 *
 * Every schema is marked pure: a function's bundle keeps only the schemas it validates
 * with, and its init builds only those (zod marks its own factories, not the `.check`
 * calls chained on them). Nothing inside a schema may read a property or call a function
 * that is not marked pure: esbuild would then keep the whole schema in every bundle
 * (a rule's text is a constant of its own; test/cdk/stack.test.ts checks the bundles).
 */

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const tokenName = /* @__PURE__ */ string({ error: 'is required and must be a string' }).check(
  /* @__PURE__ */ regex(TOKEN_NAME_PATTERN, 'must be 1 to 64 characters of A-Z a-z 0-9 . _ -'),
);
// 3000: TOKEN_MAX_RPS, written out (see SCOPE_RULE).
const MAX_RPS_RULE = 'must be an integer from 1 to 3000, or null';
/**
 * A token's or a federation policy's limit: at most what one token's reads can reach
 * (`TOKEN_MAX_RPS`), the top of the rate tiers; a stage may allow less (`stageMaxRps`).
 */
export const maxRps = /* @__PURE__ */ nullable(
  /* @__PURE__ */ int({ error: MAX_RPS_RULE }).check(
    /* @__PURE__ */ minimum(1, MAX_RPS_RULE),
    /* @__PURE__ */ maximum(TOKEN_MAX_RPS, MAX_RPS_RULE),
  ),
);
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
const isoDateTime = /* @__PURE__ */ iso.datetime({
  offset: true,
  error: 'must be an ISO-8601 date-time with a time zone, or null',
});

// tokens:read, tokens:write or api: written out, so that the bundle holds one string, not a template.
const SCOPE_RULE = 'must be tokens:read, tokens:write or api';
/** A token's scopes: a list of documented scopes, stored in their documented order without repeats. */
export const scopes = /* @__PURE__ */ pipe(
  /* @__PURE__ */ array(/* @__PURE__ */ oneOf(TOKEN_SCOPES, { error: SCOPE_RULE }), {
    error: 'must be a list of scopes (tokens:read, tokens:write, api)',
  }).check(/* @__PURE__ */ minLength(1, 'must name at least one scope (tokens:read, tokens:write, api)')),
  /* @__PURE__ */ transform((list) => orderedScopes(list)),
);
// 20: MAX_ALLOWED_CIDRS, written out (see GRACE_RULE).
const CIDRS_RULE = 'must be a list of 1 to 20 IPv4 or IPv6 networks (CIDRs), or null';
/**
 * A token's allowed networks: 1 to 20 CIDRs (a bare address is that address alone),
 * normalised and without repeats; each bad one named in its own field error
 * (`allowedCidrs.2`). Null: no restriction.
 */
export const allowedCidrs = /* @__PURE__ */ nullable(
  /* @__PURE__ */ pipe(
    /* @__PURE__ */ array(/* @__PURE__ */ string({ error: 'must be a string' }), { error: CIDRS_RULE }).check(
      /* @__PURE__ */ minLength(1, CIDRS_RULE),
      /* @__PURE__ */ maxLength(MAX_ALLOWED_CIDRS, CIDRS_RULE),
    ),
    /* @__PURE__ */ transform((list, context) => {
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

export const createTokenBody = /* @__PURE__ */ strictObject({
  name: tokenName,
  maxRps: /* @__PURE__ */ optional(maxRps),
  expiresAt: /* @__PURE__ */ optional(/* @__PURE__ */ nullable(isoDateTime)),
  scopes: /* @__PURE__ */ optional(scopes),
  allowedCidrs: /* @__PURE__ */ optional(allowedCidrs),
});
export const deprecatedCreateTokenBody = /* @__PURE__ */ extend(createTokenBody, {
  serviceAccountId: /* @__PURE__ */ string({ error: 'is required and must be a string' }).check(
    /* @__PURE__ */ minLength(1, 'must not be empty'),
  ),
});
export const updateTokenBody = /* @__PURE__ */ strictObject({
  status: /* @__PURE__ */ optional(
    /* @__PURE__ */ oneOf(['ACTIVE', 'SUSPENDED'], { error: 'must be ACTIVE or SUSPENDED' }),
  ),
  maxRps: /* @__PURE__ */ optional(maxRps),
  scopes: /* @__PURE__ */ optional(scopes),
  allowedCidrs: /* @__PURE__ */ optional(allowedCidrs),
}).check(
  /* @__PURE__ */ refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: 'must set at least one of status, maxRps, scopes, allowedCidrs',
    path: ['body'],
  }),
);
const LIMIT_RULE = 'must be an integer from 1 to 100';
/** A page of any listing: `limit` and `nextToken`. */
export const pageQuery = /* @__PURE__ */ object({
  limit: /* @__PURE__ */ optional(
    /* @__PURE__ */ pipe(
      /* @__PURE__ */ string().check(/* @__PURE__ */ regex(/^\d{1,3}$/, LIMIT_RULE)),
      /* @__PURE__ */ transform(Number),
    ).check(/* @__PURE__ */ refine((n) => n >= 1 && n <= 100, LIMIT_RULE)),
  ),
  nextToken: /* @__PURE__ */ optional(
    /* @__PURE__ */ string().check(
      /* @__PURE__ */ minLength(1, 'must not be empty'),
      /* @__PURE__ */ maxLength(1024, 'is not a valid cursor'),
    ),
  ),
});
/** A directory listing: a page, of the ids that start with `q` when it is given. */
export const directoryListQuery = /* @__PURE__ */ extend(pageQuery, {
  q: /* @__PURE__ */ optional(
    /* @__PURE__ */ string().check(
      /* @__PURE__ */ regex(DIRECTORY_ID_PATTERN, 'must be 1 to 128 characters without whitespace, /, #, ? or %'),
    ),
  ),
});
export const tokenNamePath = /* @__PURE__ */ object({ name: tokenName });
export const userIdPath = /* @__PURE__ */ object({
  userId: /* @__PURE__ */ string({ error: 'is required and must be a string' }).check(
    /* @__PURE__ */ regex(DIRECTORY_ID_PATTERN, 'must be 1 to 128 characters without whitespace, /, #, ? or %'),
  ),
});

/** The longest grace period a rotation may give the old secret: a week. */
export const MAX_GRACE_SECONDS = 604_800;
/** The grace period of a rotation that names none: a day. */
export const DEFAULT_GRACE_SECONDS = 86_400;
// 604800: MAX_GRACE_SECONDS, written out so that the bundle holds one string, not a template.
const GRACE_RULE = 'must be an integer from 0 to 604800 (seconds)';
export const rotateTokenBody = /* @__PURE__ */ strictObject({
  gracePeriodSeconds: /* @__PURE__ */ optional(
    /* @__PURE__ */ int({ error: GRACE_RULE }).check(
      /* @__PURE__ */ minimum(0, GRACE_RULE),
      /* @__PURE__ */ maximum(MAX_GRACE_SECONDS, GRACE_RULE),
      // The contract says it (RotateTokenBody's default), so clients need not hard-code it.
      /* @__PURE__ */ meta({ default: DEFAULT_GRACE_SECONDS }),
    ),
  ),
  force: /* @__PURE__ */ optional(/* @__PURE__ */ boolean({ error: 'must be true or false' })),
});

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
// Its own statement: a method call inside a schema would keep the schema in every bundle (see above).
const EVENT_TYPE_RULE = `must be one of ${EVENT_TYPES.join(', ')}`;
export const listEventsQuery = /* @__PURE__ */ extend(pageQuery, {
  tokenName: /* @__PURE__ */ optional(tokenName),
  type: /* @__PURE__ */ optional(/* @__PURE__ */ oneOf(EVENT_TYPES, { error: EVENT_TYPE_RULE })),
});
/** On the admin path only: a past incarnation's trail (see shared/directory/incarnations.ts). */
export const adminListEventsQuery = /* @__PURE__ */ extend(listEventsQuery, {
  incarnation: /* @__PURE__ */ optional(
    /* @__PURE__ */ string().check(
      /* @__PURE__ */ regex(INCARNATION_PATTERN, 'must be legacy or an incarnation id (21 characters of 0-9 a-z)'),
    ),
  ),
});

export function fieldErrors(error: z.core.$ZodError, prefix = ''): FieldError[] {
  const list: FieldError[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    const field = path === '' ? prefix || 'body' : path;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        list.push({ field: path ? `${path}.${key}` : key, message: 'is not an allowed field' });
    } else {
      list.push({ field, message: issue.message });
    }
  }
  return list;
}

/** Validates one part of a request, collecting errors instead of throwing. */
export function check<S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  errors: FieldError[],
  prefix = '',
): z.infer<S> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  errors.push(...fieldErrors(result.error, prefix));
  return undefined;
}
