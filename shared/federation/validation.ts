// Named imports from zod/mini, as in validation.ts: each function bundles only what it uses.
import {
  array,
  int,
  maximum,
  maxLength,
  minimum,
  minLength,
  optional,
  record,
  refine,
  regex,
  strictObject,
  string,
} from 'zod/mini';
import type { AddressRules } from './addresses.js';
import type { FieldError } from '../kernel/errors.js';
import { onlyWildcards } from './checks.js';
import { issuerProblem, jwksHostProblem, POLICY_LIMITS } from './policy.js';
import { allowedCidrs, maxRps, scopes } from '../http/validation.js';

/** Request shapes of the federation policies (docs/openapi.json). */

// Read once here: a property read inside a schema would keep it in bundles that never use it (http/validation.ts).
const {
  audiences: AUDIENCES,
  claims: CLAIMS,
  jwksHosts: JWKS_HOSTS,
  nameLength: NAME_LENGTH,
  patternLength: PATTERN_LENGTH,
  patternsPerClaim: PATTERNS_PER_CLAIM,
  tokenAge: TOKEN_AGE,
  ttl: TTL,
} = POLICY_LIMITS;
// The rules' texts as constants: a template inside a schema keeps it in every bundle, as a property read does.
const PATTERN_LENGTH_RULE = `must be at most ${PATTERN_LENGTH} characters`;
const NAME_RULE = `must be 1 to ${NAME_LENGTH} characters of A-Z a-z 0-9 . _ -`;
const JWKS_HOSTS_RULE = `must list at most ${JWKS_HOSTS} hosts`;
const AUDIENCES_RULE = `must list at most ${AUDIENCES} audiences`;
const PATTERNS_RULE = `must list at most ${PATTERNS_PER_CLAIM} patterns`;
const CLAIMS_RULE = `must name at most ${CLAIMS} claims`;
/** What local development allows; AWS allows less (issuerRulesErrors). */
const LOCAL: AddressRules = { allowLoopback: true };
const HOSTS = 'must be an array of host names';
const pattern = (what: string) =>
  /* @__PURE__ */ string({ error: `must be a string (${what})` }).check(
    /* @__PURE__ */ minLength(1, 'must not be empty'),
    /* @__PURE__ */ maxLength(PATTERN_LENGTH, PATTERN_LENGTH_RULE),
  );
const seconds = (range: { min: number; max: number }) => {
  const rule = `must be an integer from ${range.min} to ${range.max} (seconds)`;
  return /* @__PURE__ */ int({ error: rule }).check(
    /* @__PURE__ */ minimum(range.min, rule),
    /* @__PURE__ */ maximum(range.max, rule),
  );
};
/** Claims a policy names through its own fields (or that the exchange checks anyway). */
const CLAIM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const RESERVED_CLAIMS = ['iss', 'aud', 'sub', 'exp', 'iat', 'nbf', 'jti'];
const RESERVED_RULE = `must not name ${RESERVED_CLAIMS.join(', ')}: the policy's own fields check those`;

export const POLICY_NAME_PATTERN = /^[A-Za-z0-9._-]{1,40}$/;
export const POLICY_ID_PATTERN = /^fp[0-9a-z]{16}$/;

export const createPolicyBody = /* @__PURE__ */ strictObject({
  name: /* @__PURE__ */ string({ error: 'is required and must be a string' }).check(
    /* @__PURE__ */ regex(POLICY_NAME_PATTERN, NAME_RULE),
  ),
  // The widest rule, local development's; a deployment narrows it (see issuerRulesErrors).
  issuer: /* @__PURE__ */ string({ error: 'is required and must be a string' }).check(
    /* @__PURE__ */ maxLength(PATTERN_LENGTH, PATTERN_LENGTH_RULE),
    /* @__PURE__ */ refine((issuer) => issuerProblem(issuer, LOCAL) === undefined, {
      error: (issue) => issuerProblem(String(issue.input), LOCAL) ?? 'is not valid',
    }),
  ),
  jwksHosts: /* @__PURE__ */ optional(
    /* @__PURE__ */ array(/* @__PURE__ */ string({ error: 'must be host names' }), { error: HOSTS }).check(
      /* @__PURE__ */ maxLength(JWKS_HOSTS, JWKS_HOSTS_RULE),
      /* @__PURE__ */ refine((hosts) => hosts.every((host) => jwksHostProblem(host, LOCAL) === undefined), {
        error: (issue) => (issue.input as string[]).map((host) => jwksHostProblem(host, LOCAL)).find(Boolean) ?? HOSTS,
      }),
    ),
  ),
  audiences: /* @__PURE__ */ optional(
    /* @__PURE__ */ array(/* @__PURE__ */ pattern('an audience'), { error: 'must be an array of strings' }).check(
      /* @__PURE__ */ minLength(1, 'must list at least one audience (leave it out for the default)'),
      /* @__PURE__ */ maxLength(AUDIENCES, AUDIENCES_RULE),
    ),
  ),
  subject: /* @__PURE__ */ pattern('the subject, exact or a pattern').check(
    /* @__PURE__ */ refine(
      (subject) => !onlyWildcards(subject),
      'must not be wildcards only: it would admit any subject',
    ),
  ),
  claims: /* @__PURE__ */ optional(
    /* @__PURE__ */ record(
      /* @__PURE__ */ string(),
      /* @__PURE__ */ array(/* @__PURE__ */ pattern('a claim pattern'), {
        error: 'must be an array of patterns',
      }).check(
        /* @__PURE__ */ minLength(1, 'must list at least one pattern'),
        /* @__PURE__ */ maxLength(PATTERNS_PER_CLAIM, PATTERNS_RULE),
      ),
      { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object of claim name to patterns' : undefined) },
    ).check(
      /* @__PURE__ */ refine((claims) => Object.keys(claims).length <= CLAIMS, CLAIMS_RULE),
      /* @__PURE__ */ refine(
        (claims) => Object.keys(claims).every((claim) => CLAIM_NAME.test(claim)),
        'claim names are 1 to 64 of A-Z a-z 0-9 _ . -',
      ),
      /* @__PURE__ */ refine(
        (claims) => !Object.keys(claims).some((claim) => RESERVED_CLAIMS.includes(claim)),
        RESERVED_RULE,
      ),
    ),
  ),
  maxTtlSeconds: /* @__PURE__ */ optional(/* @__PURE__ */ seconds(TTL)),
  maxTokenAgeSeconds: /* @__PURE__ */ optional(/* @__PURE__ */ seconds(TOKEN_AGE)),
  maxRps: /* @__PURE__ */ optional(maxRps),
  scopes: /* @__PURE__ */ optional(scopes),
  allowedCidrs: /* @__PURE__ */ optional(allowedCidrs),
});

export const policyIdPath = /* @__PURE__ */ strictObject({
  policyId: /* @__PURE__ */ string({ error: 'is required' }).check(
    /* @__PURE__ */ regex(POLICY_ID_PATTERN, 'is not a policy id'),
  ),
});

export const testPolicyBody = /* @__PURE__ */ strictObject({
  subjectToken: /* @__PURE__ */ string({ error: 'is required and must be a string (a JWT)' }).check(
    /* @__PURE__ */ minLength(1, 'must not be empty'),
    /* @__PURE__ */ maxLength(16_384, 'must be at most 16384 characters'),
  ),
});

/**
 * The issuer and `jwksHosts` of a create body (read as sent, so that these errors come
 * with any others) under this deployment's rules: in AWS, no loopback host either. The
 * deployment's reason replaces the schema's, which speaks of what local development allows.
 */
export function issuerRulesErrors(json: unknown, rules: AddressRules, errors: FieldError[]): void {
  const body = (typeof json === 'object' && json !== null ? json : {}) as { issuer?: unknown; jwksHosts?: unknown };
  const listed: unknown[] = Array.isArray(body.jwksHosts) ? body.jwksHosts : [];
  const hosts = listed.filter((host): host is string => typeof host === 'string');
  const problems = {
    issuer: typeof body.issuer === 'string' ? issuerProblem(body.issuer, rules) : undefined,
    jwksHosts: hosts.map((host) => jwksHostProblem(host, rules)).find(Boolean),
  };
  for (const [field, message] of Object.entries(problems)) {
    if (message === undefined) continue;
    const at = errors.findIndex((error) => error.field === field);
    errors.splice(at === -1 ? errors.length : at, at === -1 ? 0 : 1, { field, message });
  }
}
