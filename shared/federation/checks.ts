import type { FederationPolicy } from '../kernel/model.js';

/**
 * What a subject token is checked against, in the order the exchange applies it: its
 * form and its algorithm (from the token alone, before any key is fetched), then, once its
 * signature verified (issuer-keys.ts), each policy's issuer, audience, age, subject and
 * claims, whose patterns are below. Every failed check is one error type, CheckFailed:
 * its `check` names what failed, and its description is safe to show the presenter (it
 * echoes only the presented token's own values).
 */

/** The only signature algorithms accepted: those CI providers sign with. HMAC and `none` never. */
export const SUBJECT_TOKEN_ALGORITHMS = ['RS256', 'ES256'] as const;

/** Clock skew allowed between an issuer and this service. */
export const CLOCK_TOLERANCE_SECONDS = 60;

export type Claims = Record<string, unknown>;

/** A check the subject token failed. */
export class CheckFailed extends Error {
  override name = 'CheckFailed';
  constructor(
    readonly check: string,
    readonly description: string,
    /** Whether the signature had verified: then the claims the check read are the issuer's, not anyone's. */
    readonly afterSignature = false,
  ) {
    super(description);
  }
}

/** The issuer's discovery document or keys could not be fetched: retry later; never an open door. */
export class IssuerUnavailableError extends Error {
  override name = 'IssuerUnavailableError';
}

/** Longest claim value kept in an event or echoed in an error: enough to recognise it. */
export const ECHO_LENGTH = 200;

/** A presented value, quoted for an error description (RFC 6749 allows no `"` or `\\` there). */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const printable = text.replace(/[^\x20-\x7e]|["\\]/g, '?');
  return `'${printable.length > ECHO_LENGTH ? `${printable.slice(0, ECHO_LENGTH)}…` : printable}'`;
}

/** A JWT's header and payload, read without verifying anything: to choose the policies and the issuer only. */
export function decodeUnverified(jwt: string): { header: Claims; claims: Claims } {
  const parts = jwt.split('.');
  if (parts.length !== 3)
    throw new CheckFailed('format', 'subject_token is not a compact JWT (three dot-separated parts)');
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(claims)) throw new Error('not objects');
    return { header, claims };
  } catch {
    throw new CheckFailed('format', 'subject_token is not a JWT: its header or payload is not a JSON object');
  }
}

function isObject(value: unknown): value is Claims {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses any algorithm but RS256 and ES256 before a key is fetched. */
export function checkAlgorithm(header: Claims): void {
  const alg = header.alg;
  if (!(SUBJECT_TOKEN_ALGORITHMS as readonly unknown[]).includes(alg)) {
    throw new CheckFailed(
      'algorithm',
      `algorithm ${quote(alg)} is not accepted; the subject token must be signed with ` +
        `${SUBJECT_TOKEN_ALGORITHMS.join(' or ')}`,
    );
  }
}

/**
 * The patterns of federation policies: `*` matches any run of characters within one
 * `:`-separated segment, `**` any run across segments (colons included); every other
 * character matches itself. `repo:org/*:environment:prod` admits every repository of
 * `org` deploying to `prod`; `repo:org/app:**` every job of one repository.
 *
 * Matching is a dynamic programme over pattern × value (at most the two lengths
 * multiplied, never backtracking), so no pattern can make a match slow, whatever the
 * value: patterns and values are both bounded in length by the validation.
 */

type Part = { kind: 'text'; char: string } | { kind: 'star' } | { kind: 'globstar' };

export const SEGMENT_SEPARATOR = ':';

function parse(pattern: string): Part[] {
  const parts: Part[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char !== '*') {
      parts.push({ kind: 'text', char });
      continue;
    }
    let run = 1;
    while (pattern[i + 1] === '*') {
      run++;
      i++;
    }
    // `***` and longer mean what `**` means: anything.
    const part: Part = run === 1 ? { kind: 'star' } : { kind: 'globstar' };
    const last = parts[parts.length - 1];
    // Adjacent wildcards add nothing but work: `*` next to `**` is `**`.
    if (last && last.kind !== 'text') {
      if (part.kind === 'globstar') parts[parts.length - 1] = part;
      continue;
    }
    parts.push(part);
  }
  return parts;
}

/** A compiled pattern: `matches(value)` in time proportional to pattern length × value length. */
export interface Glob {
  readonly pattern: string;
  /** Whether the pattern has a wildcard (an exact pattern is compared as a string). */
  readonly wildcard: boolean;
  matches(value: string): boolean;
}

export function compileGlob(pattern: string): Glob {
  const parts = parse(pattern);
  const wildcard = parts.some((part) => part.kind !== 'text');
  if (!wildcard) return { pattern, wildcard, matches: (value) => value === pattern };
  return {
    pattern,
    wildcard,
    matches(value: string): boolean {
      // reach[j]: the parts so far can consume exactly the first j characters of value.
      let reach = new Uint8Array(value.length + 1);
      reach[0] = 1;
      for (const part of parts) {
        const next = new Uint8Array(value.length + 1);
        if (part.kind === 'text') {
          for (let j = 0; j < value.length; j++) if (reach[j] && value[j] === part.char) next[j + 1] = 1;
        } else {
          // A wildcard consumes nothing, or extends what it already consumed by one character
          // (for `*`, one that is not a segment separator).
          let carried = 0;
          for (let j = 0; j <= value.length; j++) {
            if (reach[j]) carried = 1;
            if (carried) next[j] = 1;
            if (j < value.length && part.kind === 'star' && value[j] === SEGMENT_SEPARATOR) carried = 0;
          }
        }
        reach = next;
      }
      return reach[value.length] === 1;
    },
  };
}

/** Whether a pattern is wildcards and separators only: it would admit any subject at all. */
export function onlyWildcards(pattern: string): boolean {
  return /^[*:]*$/.test(pattern);
}

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
