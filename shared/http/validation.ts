// zod/mini with named imports: tree-shaken to a few KB, where the `z` namespace pulls the
// whole library (~450 KB) into every bundle and ~40 ms into every cold start.
import {
  boolean,
  enum as oneOf,
  extend,
  int,
  iso,
  maximum,
  maxLength,
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
import { DIRECTORY_ID_PATTERN, INCARNATION_PATTERN, TOKEN_MAX_RPS } from '../kernel/model.js';
import { MAX_RPS_CEILING } from '../kernel/config.js';

/**
 * Request shapes (docs/openapi.json), and the one function that turns zod issues into
 * field errors.
 *
 * Every schema is marked pure: a function's bundle keeps only the schemas it validates
 * with, and its init builds only those (zod marks its own factories, not the `.check`
 * calls chained on them).
 */

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const tokenName = /* @__PURE__ */ string({ error: 'is required and must be a string' }).check(
  /* @__PURE__ */ regex(TOKEN_NAME_PATTERN, 'must be 1 to 64 characters of A-Z a-z 0-9 . _ -'),
);
const rpsLimit = (ceiling: number) => {
  const rule = `must be an integer from 1 to ${ceiling}, or null`;
  return /* @__PURE__ */ nullable(
    /* @__PURE__ */ int({ error: rule }).check(
      /* @__PURE__ */ minimum(1, rule),
      /* @__PURE__ */ maximum(ceiling, rule),
    ),
  );
};
/** A token's own limit: what one token's reads can reach (`TOKEN_MAX_RPS`). */
const tokenMaxRps = /* @__PURE__ */ rpsLimit(TOKEN_MAX_RPS);
/** A federation policy's limit, shared by every token it issues (each its own item): the stage's. */
export const policyMaxRps = /* @__PURE__ */ rpsLimit(MAX_RPS_CEILING);
const isoDateTime = /* @__PURE__ */ iso.datetime({
  offset: true,
  error: 'must be an ISO-8601 date-time with a time zone, or null',
});

export const createTokenBody = /* @__PURE__ */ strictObject({
  name: tokenName,
  maxRps: /* @__PURE__ */ optional(tokenMaxRps),
  expiresAt: /* @__PURE__ */ optional(/* @__PURE__ */ nullable(isoDateTime)),
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
  maxRps: /* @__PURE__ */ optional(tokenMaxRps),
}).check(
  /* @__PURE__ */ refine((body) => body.status !== undefined || body.maxRps !== undefined, {
    message: 'must set status, maxRps, or both',
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
export const tokenNamePath = /* @__PURE__ */ object({ name: tokenName });
export const userIdPath = /* @__PURE__ */ object({
  userId: /* @__PURE__ */ string({ error: 'is required and must be a string' }).check(
    /* @__PURE__ */ regex(DIRECTORY_ID_PATTERN, 'must be 1 to 128 characters without whitespace, /, #, ? or %'),
  ),
});

/** The longest grace period a rotation may give the old secret: a week. */
const MAX_GRACE_SECONDS = 604_800;
// 604800: MAX_GRACE_SECONDS, written out so that the bundle holds one string, not a template.
const GRACE_RULE = 'must be an integer from 0 to 604800 (seconds)';
export const rotateTokenBody = /* @__PURE__ */ strictObject({
  gracePeriodSeconds: /* @__PURE__ */ optional(
    /* @__PURE__ */ int({ error: GRACE_RULE }).check(
      /* @__PURE__ */ minimum(0, GRACE_RULE),
      /* @__PURE__ */ maximum(MAX_GRACE_SECONDS, GRACE_RULE),
    ),
  ),
  force: /* @__PURE__ */ optional(/* @__PURE__ */ boolean({ error: 'must be true or false' })),
});

export const EVENT_TYPES = [
  'token.created',
  'token.updated',
  'token.rotated',
  'token.deleted',
  'token.used_after_rotation',
  'token.expiring',
  'token.expired',
  'token.suspended_unused',
  'token.exposed',
  'token.exchanged',
  'token.exchange_refused',
  'federation_policy.created',
  'federation_policy.deleted',
] as const;
export const listEventsQuery = /* @__PURE__ */ extend(pageQuery, {
  tokenName: /* @__PURE__ */ optional(tokenName),
  type: /* @__PURE__ */ optional(
    /* @__PURE__ */ oneOf(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(', ')}` }),
  ),
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
