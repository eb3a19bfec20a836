import type { AddressRules } from './addresses.js';
import type { FieldError } from '../kernel/errors.js';
import { onlyWildcards } from './checks.js';
import { issuerProblem, jwksHostProblem, POLICY_LIMITS } from './policy.js';
import { allowedCidrs, maxRps, NOT_EMPTY, REQUIRED_STRING, scopes } from '../http/validation.js';
import {
  array,
  int,
  maximum,
  maxLength,
  minimum,
  minLength,
  object,
  optional,
  record,
  refine,
  regex,
  string,
} from '../http/rules.js';

/**
 * The request shapes of the federation policies, with the texts of their rules (zod
 * describes the same shapes for the OpenAPI document: request-schemas.ts).
 */

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
export const POLICY_NAME_PATTERN = /^[A-Za-z0-9._-]{1,40}$/;
export const POLICY_ID_PATTERN = /^fp[0-9a-z]{16}$/;
/** Claims a policy names through its own fields (or that the exchange checks anyway). */
export const CLAIM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const RESERVED_CLAIMS = ['iss', 'aud', 'sub', 'exp', 'iat', 'nbf', 'jti'];

export const RULES = {
  patternLength: `must be at most ${PATTERN_LENGTH} characters`,
  name: `must be 1 to ${NAME_LENGTH} characters of A-Z a-z 0-9 . _ -`,
  jwksHosts: `must list at most ${JWKS_HOSTS} hosts`,
  audiences: `must list at most ${AUDIENCES} audiences`,
  patterns: `must list at most ${PATTERNS_PER_CLAIM} patterns`,
  claims: `must name at most ${CLAIMS} claims`,
  hosts: 'must be an array of host names',
  host: 'must be host names',
  audienceList: 'must be an array of strings',
  audienceEmpty: 'must list at least one audience (leave it out for the default)',
  wildcards: 'must not be wildcards only: it would admit any subject',
  patternList: 'must be an array of patterns',
  patternEmpty: 'must list at least one pattern',
  claimMap: 'must be an object of claim name to patterns',
  claimName: 'claim names are 1 to 64 of A-Z a-z 0-9 _ . -',
  reserved: `must not name ${RESERVED_CLAIMS.join(', ')}: the policy's own fields check those`,
  policyId: 'is not a policy id',
  subjectToken: 'is required and must be a string (a JWT)',
  subjectTokenLength: 'must be at most 16384 characters',
  pattern: (what: string) => `must be a string (${what})`,
  seconds: (range: { min: number; max: number }) => `must be an integer from ${range.min} to ${range.max} (seconds)`,
} as const;
/** What local development allows; AWS allows less (issuerRulesErrors). */
export const LOCAL: AddressRules = { allowLoopback: true };
/** The first reason one of these hosts is refused, if any. */
export const hostsProblem = (hosts: string[]) => hosts.map((host) => jwksHostProblem(host, LOCAL)).find(Boolean);

const pattern = (what: string) =>
  string(RULES.pattern(what), minLength(1, NOT_EMPTY), maxLength(PATTERN_LENGTH, RULES.patternLength));
const seconds = (range: { min: number; max: number }) => {
  const rule = RULES.seconds(range);
  return int(rule, minimum(range.min, rule), maximum(range.max, rule));
};

export const createPolicyBody = object(
  {
    name: string(REQUIRED_STRING, regex(POLICY_NAME_PATTERN, RULES.name)),
    // The widest rule, local development's; a deployment narrows it (see issuerRulesErrors).
    issuer: string(
      REQUIRED_STRING,
      maxLength(PATTERN_LENGTH, RULES.patternLength),
      refine(
        (issuer: string) => issuerProblem(issuer, LOCAL) === undefined,
        (input) => issuerProblem(String(input), LOCAL) ?? 'is not valid',
      ),
    ),
    jwksHosts: optional(
      array(
        string(RULES.host),
        RULES.hosts,
        maxLength(JWKS_HOSTS, RULES.jwksHosts),
        refine(
          (hosts: string[]) => hostsProblem(hosts) === undefined,
          (input) => hostsProblem(input as string[]) ?? RULES.hosts,
        ),
      ),
    ),
    audiences: optional(
      array(
        pattern('an audience'),
        RULES.audienceList,
        minLength(1, RULES.audienceEmpty),
        maxLength(AUDIENCES, RULES.audiences),
      ),
    ),
    subject: string(
      RULES.pattern('the subject, exact or a pattern'),
      minLength(1, NOT_EMPTY),
      maxLength(PATTERN_LENGTH, RULES.patternLength),
      refine((subject: string) => !onlyWildcards(subject), RULES.wildcards),
    ),
    claims: optional(
      record(
        array(
          pattern('a claim pattern'),
          RULES.patternList,
          minLength(1, RULES.patternEmpty),
          maxLength(PATTERNS_PER_CLAIM, RULES.patterns),
        ),
        RULES.claimMap,
        refine((claims: object) => Object.keys(claims).length <= CLAIMS, RULES.claims),
        refine((claims: object) => Object.keys(claims).every((claim) => CLAIM_NAME.test(claim)), RULES.claimName),
        refine(
          (claims: object) => !Object.keys(claims).some((claim) => RESERVED_CLAIMS.includes(claim)),
          RULES.reserved,
        ),
      ),
    ),
    maxTtlSeconds: optional(seconds(TTL)),
    maxTokenAgeSeconds: optional(seconds(TOKEN_AGE)),
    maxRps: optional(maxRps),
    scopes: optional(scopes),
    allowedCidrs: optional(allowedCidrs),
  },
  { strict: true },
);

export const policyIdPath = object(
  { policyId: string('is required', regex(POLICY_ID_PATTERN, RULES.policyId)) },
  { strict: true },
);

export const testPolicyBody = object(
  {
    subjectToken: string(RULES.subjectToken, minLength(1, NOT_EMPTY), maxLength(16_384, RULES.subjectTokenLength)),
  },
  { strict: true },
);

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
