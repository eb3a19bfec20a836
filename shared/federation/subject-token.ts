/**
 * What the exchange knows about a subject token before and after verification, and the
 * one error type every failed check is: its `check` names what failed, its description is
 * safe to show the presenter (it echoes only the presented token's own values).
 */

/** The only signature algorithms accepted: those CI providers sign with. HMAC and `none` never. */
export const SUBJECT_TOKEN_ALGORITHMS = ['RS256', 'ES256'] as const;

/** Clock skew allowed between an issuer and this service. */
export const CLOCK_TOLERANCE_SECONDS = 60;

export type Claims = Record<string, unknown>;

export interface VerifiedSubjectToken {
  claims: Claims & { iss: string; sub: string; jti: string; exp: number; iat: number };
  /** The host the issuer's keys came from (its discovery document's `jwks_uri`). */
  keysHost: string;
}

export interface VerifyOptions {
  /** Hosts besides the issuer's own that may serve its keys (the policies' `jwksHosts`). */
  jwksHosts?: readonly string[];
}

/** Verifies a subject token's signature (with its issuer's published keys), algorithm, expiry and required claims. */
export type SubjectTokenVerifier = (
  jwt: string,
  issuer: string,
  now: Date,
  options?: VerifyOptions,
) => Promise<VerifiedSubjectToken>;

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
