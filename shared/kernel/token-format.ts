import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Access token format: `iomsat_` + lookup id (16) + secret (43) + checksum (6), all base62.
 *
 * - The fixed prefix lets secret scanners recognise a leaked token.
 * - The lookup id is not secret: it is the key of the one `GetItem` that verifies a token.
 * - The secret is 32 random bytes (256 bits); only its SHA-256 is stored.
 * - The checksum (CRC-32 of everything before it) rejects a mistyped or made-up token
 *   without a database read. It is integrity, not authenticity: the hash is what counts.
 */
export const TOKEN_PREFIX = 'iomsat_';
const LOOKUP_ID_LENGTH = 16;
const SECRET_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
const SECRET_BYTES = 32;
export const TOKEN_LENGTH = TOKEN_PREFIX.length + LOOKUP_ID_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TOKEN_PATTERN = new RegExp(
  `^${TOKEN_PREFIX}([0-9A-Za-z]{${LOOKUP_ID_LENGTH}})([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`,
);

function base62(value: bigint, width: number): string {
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = ALPHABET[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out.padStart(width, '0');
}

function checksum(body: string): string {
  return base62(BigInt(crc32(body)), CHECKSUM_LENGTH);
}

export interface MintedToken {
  /** The whole token, shown to its owner once. */
  token: string;
  lookupId: string;
  /** SHA-256 of the secret part, the only trace of the secret that is stored. */
  secretHash: string;
  /** The non-secret start of the token, to recognise it in a list. */
  prefix: string;
}

export interface ParsedToken {
  lookupId: string;
  secret: string;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Puts a token together from its parts, checksum included. */
export function assembleToken(lookupId: string, secret: string): string {
  const body = `${TOKEN_PREFIX}${lookupId}${secret}`;
  return `${body}${checksum(body)}`;
}

/** Makes a new token from fresh randomness. */
export function mintToken(): MintedToken {
  let lookupId = '';
  for (let i = 0; i < LOOKUP_ID_LENGTH; i++) lookupId += ALPHABET[randomInt(62)];
  return mintSecret(lookupId);
}

/** A fresh secret under an existing lookup id: a rotated token, found by the same one read. */
export function mintSecret(lookupId: string): MintedToken {
  const secret = base62(BigInt(`0x${randomBytes(SECRET_BYTES).toString('hex')}`), SECRET_LENGTH);
  return {
    token: assembleToken(lookupId, secret),
    lookupId,
    secretHash: hashSecret(secret),
    prefix: `${TOKEN_PREFIX}${lookupId}`,
  };
}

/** True when the value looks like one of our tokens (prefix only; nothing is verified). */
export function hasTokenPrefix(value: string): boolean {
  return value.startsWith(TOKEN_PREFIX);
}

/** Whether a string is well-formed as one of our tokens, and if not, the first rule it breaks. */
export type TokenShape = { wellFormed: true; lookupId: string } | { wellFormed: false; problem: string };

/** Checks a string offline (no database): prefix, length, alphabet, then checksum. */
export function tokenShape(value: string): TokenShape {
  if (!value.startsWith(TOKEN_PREFIX)) return { wellFormed: false, problem: `does not start with ${TOKEN_PREFIX}` };
  if (value.length !== TOKEN_LENGTH)
    return { wellFormed: false, problem: `is ${value.length} characters long, not ${TOKEN_LENGTH}` };
  if (!/^[0-9A-Za-z]*$/.test(value.slice(TOKEN_PREFIX.length)))
    return { wellFormed: false, problem: `has characters other than 0-9 A-Z a-z after ${TOKEN_PREFIX}` };
  const parsed = parseToken(value);
  if (!parsed) return { wellFormed: false, problem: 'fails its checksum (mistyped, truncated or made up)' };
  return { wellFormed: true, lookupId: parsed.lookupId };
}

/** Splits a presented token, or returns undefined when its shape or checksum is wrong. */
export function parseToken(value: string): ParsedToken | undefined {
  if (value.length !== TOKEN_LENGTH) return undefined;
  const match = TOKEN_PATTERN.exec(value);
  if (!match) return undefined;
  const [, lookupId, secret, sum] = match as unknown as [string, string, string, string];
  if (checksum(`${TOKEN_PREFIX}${lookupId}${secret}`) !== sum) return undefined;
  return { lookupId, secret };
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  return secretMatcher(secret)(storedHash);
}

/**
 * Compares a presented secret with stored hashes, each in constant time; the secret is
 * hashed once, however many hashes it is compared with (a rotated token's current and
 * previous ones, on every call with it).
 */
export function secretMatcher(secret: string): (storedHash: string) => boolean {
  const presented = Buffer.from(hashSecret(secret), 'utf8');
  return (storedHash) => {
    const stored = Buffer.from(storedHash, 'utf8');
    // Both are base64url SHA-256 digests (43 chars); a length mismatch means a corrupt
    // item, not a timing oracle, so an early false is safe.
    return presented.length === stored.length && timingSafeEqual(presented, stored);
  };
}
