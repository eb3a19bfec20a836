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
import { onlyWildcards } from './checks.js';
import { issuerProblem, POLICY_LIMITS } from './policy.js';
import { allowedCidrs, maxRps, scopes } from '../http/request-schemas.js';
import { NOT_EMPTY, REQUIRED_STRING } from '../http/validation.js';
import {
  CLAIM_NAME,
  hostsProblem,
  LOCAL,
  POLICY_ID_PATTERN,
  POLICY_NAME_PATTERN,
  RESERVED_CLAIMS,
  RULES,
} from './validation.js';

/**
 * The federation policies' request shapes as the OpenAPI document describes them: zod
 * schemas of the shapes validation.ts's rules check, from the same texts (see
 * shared/http/request-schemas.ts).
 */

const { audiences, claims, jwksHosts, patternLength, patternsPerClaim, tokenAge, ttl } = POLICY_LIMITS;
const pattern = (what: string) =>
  string({ error: RULES.pattern(what) }).check(minLength(1, NOT_EMPTY), maxLength(patternLength, RULES.patternLength));
const seconds = (range: { min: number; max: number }) => {
  const rule = RULES.seconds(range);
  return int({ error: rule }).check(minimum(range.min, rule), maximum(range.max, rule));
};

export const createPolicyBody = strictObject({
  name: string({ error: REQUIRED_STRING }).check(regex(POLICY_NAME_PATTERN, RULES.name)),
  issuer: string({ error: REQUIRED_STRING }).check(
    maxLength(patternLength, RULES.patternLength),
    refine((issuer) => issuerProblem(issuer, LOCAL) === undefined, {
      error: (issue) => issuerProblem(String(issue.input), LOCAL) ?? 'is not valid',
    }),
  ),
  jwksHosts: optional(
    array(string({ error: RULES.host }), { error: RULES.hosts }).check(
      maxLength(jwksHosts, RULES.jwksHosts),
      refine((hosts) => hostsProblem(hosts) === undefined, {
        error: (issue) => hostsProblem(issue.input as string[]) ?? RULES.hosts,
      }),
    ),
  ),
  audiences: optional(
    array(pattern('an audience'), { error: RULES.audienceList }).check(
      minLength(1, RULES.audienceEmpty),
      maxLength(audiences, RULES.audiences),
    ),
  ),
  subject: pattern('the subject, exact or a pattern').check(
    refine((subject) => !onlyWildcards(subject), RULES.wildcards),
  ),
  claims: optional(
    record(
      string(),
      array(pattern('a claim pattern'), { error: RULES.patternList }).check(
        minLength(1, RULES.patternEmpty),
        maxLength(patternsPerClaim, RULES.patterns),
      ),
      { error: (issue) => (issue.code === 'invalid_type' ? RULES.claimMap : undefined) },
    ).check(
      refine((map) => Object.keys(map).length <= claims, RULES.claims),
      refine((map) => Object.keys(map).every((claim) => CLAIM_NAME.test(claim)), RULES.claimName),
      refine((map) => !Object.keys(map).some((claim) => RESERVED_CLAIMS.includes(claim)), RULES.reserved),
    ),
  ),
  maxTtlSeconds: optional(seconds(ttl)),
  maxTokenAgeSeconds: optional(seconds(tokenAge)),
  maxRps: optional(maxRps),
  scopes: optional(scopes),
  allowedCidrs: optional(allowedCidrs),
});

export const policyIdPath = strictObject({
  policyId: string({ error: 'is required' }).check(regex(POLICY_ID_PATTERN, RULES.policyId)),
});

export const testPolicyBody = strictObject({
  subjectToken: string({ error: RULES.subjectToken }).check(
    minLength(1, NOT_EMPTY),
    maxLength(16_384, RULES.subjectTokenLength),
  ),
});
