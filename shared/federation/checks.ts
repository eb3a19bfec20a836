import { compileGlob } from './glob.js';
import type { FederationPolicy } from '../kernel/model.js';
import { type Claims, CLOCK_TOLERANCE_SECONDS, quote } from './subject-token.js';

/**
 * A policy's checks of a subject token, each named, each with two explanations: `detail`
 * for the account's administrators (the policy test), which may show the policy's
 * patterns, and `public` for whoever presented the token (the exchange's refusal), which
 * names the failing claim and the token's own value but not what the policy expects: a
 * refusal must not teach a stranger how to shape a token that passes.
 */
export interface Check {
  name: string;
  passed: boolean;
  detail: string;
  public: string;
}

const passed = (name: string, detail: string): Check => ({ name, passed: true, detail, public: detail });

function audiencesOf(claims: Claims): string[] {
  const aud = claims.aud;
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((value): value is string => typeof value === 'string') : [];
}

/**
 * A claim value as patterns see it: strings as they are, numbers and booleans spelled out; anything else matches
 * nothing.
 */
function claimText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function matchesAny(value: string, patterns: string[]): boolean {
  return patterns.some((pattern) => compileGlob(pattern).matches(value));
}

/** Every check of one policy against verified (or, for the issuer alone, unverified) claims. */
export function policyChecks(policy: FederationPolicy, claims: Claims, now: Date): Check[] {
  const checks: Check[] = [];
  const of = `policy '${policy.name}'`;

  checks.push(
    claims.iss === policy.issuer
      ? passed('issuer', `issuer ${quote(claims.iss)} is the policy's`)
      : {
          name: 'issuer',
          passed: false,
          detail: `issuer ${quote(claims.iss)} is not ${quote(policy.issuer)}`,
          public: `issuer ${quote(claims.iss)} is not trusted by ${of}`,
        },
  );

  const audiences = audiencesOf(claims);
  checks.push(
    audiences.some((aud) => policy.audiences.includes(aud))
      ? passed('audience', `audience ${quote(audiences.join(' '))} is one of the policy's`)
      : {
          name: 'audience',
          passed: false,
          detail: `audience ${quote(audiences.join(' '))} is none of ${quote(policy.audiences.join(' '))}`,
          public: `audience ${quote(audiences.join(' '))} is not accepted by ${of}`,
        },
  );

  const iat = typeof claims.iat === 'number' ? claims.iat : undefined;
  const age = iat === undefined ? undefined : Math.floor(now.getTime() / 1000) - iat;
  checks.push(
    age !== undefined && age <= policy.maxTokenAgeSeconds + CLOCK_TOLERANCE_SECONDS
      ? passed('age', `issued ${Math.max(age, 0)} s ago`)
      : {
          name: 'age',
          passed: false,
          detail:
            age === undefined
              ? `claim 'iat' is missing`
              : `issued ${age} s ago, more than the policy's ${policy.maxTokenAgeSeconds} s`,
          public:
            age === undefined
              ? `claim 'iat' is missing`
              : `the subject token was issued ${age} s ago, too long ago for ${of}`,
        },
  );

  const subject = claimText(claims.sub);
  checks.push(
    subject !== undefined && compileGlob(policy.subject).matches(subject)
      ? passed('subject', `subject ${quote(subject)} matches`)
      : {
          name: 'subject',
          passed: false,
          detail: `subject ${quote(claims.sub ?? '(missing)')} does not match ${quote(policy.subject)}`,
          public: `subject ${quote(claims.sub ?? '(missing)')} does not match ${of}`,
        },
  );

  for (const [claim, patterns] of Object.entries(policy.claims)) {
    const name = `claim:${claim}`;
    const value = claimText(claims[claim]);
    if (value !== undefined && matchesAny(value, patterns)) {
      checks.push(passed(name, `claim ${quote(claim)} is ${quote(value)}, which matches`));
      continue;
    }
    const shown = claims[claim] === undefined ? 'missing' : `${quote(claims[claim])}`;
    checks.push({
      name,
      passed: false,
      detail: `claim ${quote(claim)} is ${shown}; it must match one of ${quote(patterns.join(' '))}`,
      public: `claim ${quote(claim)} is ${shown}, which ${of} does not accept`,
    });
  }
  return checks;
}

export interface PolicyVerdict<P extends FederationPolicy> {
  /** The first policy (by name) all of whose checks pass. */
  match?: P;
  /** Otherwise the policy that came closest (most checks passed), and its first failed check. */
  closest?: { policy: P; failed: Check };
}

/** Chooses the policy a token satisfies, or the one it came closest to. */
export function choosePolicy<P extends FederationPolicy>(policies: P[], claims: Claims, now: Date): PolicyVerdict<P> {
  let closest: { policy: P; failed: Check; score: number } | undefined;
  for (const policy of [...policies].sort(
    (a, b) => a.name.localeCompare(b.name) || a.policyId.localeCompare(b.policyId),
  )) {
    const checks = policyChecks(policy, claims, now);
    const failed = checks.find((check) => !check.passed);
    if (!failed) return { match: policy };
    const score = checks.filter((check) => check.passed).length;
    if (!closest || score > closest.score) closest = { policy, failed, score };
  }
  return closest ? { closest: { policy: closest.policy, failed: closest.failed } } : {};
}
