import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  hashSecret,
  mintToken,
  parseToken,
  secretMatcher,
  secretMatches,
  TOKEN_LENGTH,
  TOKEN_PREFIX,
} from '../../shared/kernel/token-format.js';

describe('token format', () => {
  it('mints recognisable tokens with a lookup id, a 256-bit secret and a checksum', () => {
    const minted = mintToken();
    expect(minted.token).toMatch(/^iomsat_[0-9A-Za-z]{65}$/);
    expect(minted.token.length).toBe(TOKEN_LENGTH);
    expect(minted.token.startsWith(minted.prefix)).toBeTruthy();
    expect(minted.prefix).toBe(`${TOKEN_PREFIX}${minted.lookupId}`);
    const parsed = parseToken(minted.token);
    if (!parsed) throw new Error('parsed is missing');
    expect(parsed.lookupId).toBe(minted.lookupId);
    // 43 base62 characters hold 256 bits (62^43 > 2^256).
    expect(parsed.secret.length).toBe(43);
    expect(62n ** 43n > 2n ** 256n).toBeTruthy();
    expect(hashSecret(parsed.secret)).toBe(minted.secretHash);
  });

  it('never mints the same token or lookup id twice in 10,000 draws', () => {
    const tokens = new Set<string>();
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const minted = mintToken();
      tokens.add(minted.token);
      ids.add(minted.lookupId);
    }
    expect(tokens.size).toBe(10_000);
    expect(ids.size).toBe(10_000);
  });

  it('stores a hash that does not contain the secret', () => {
    const minted = mintToken();
    const secret = parseToken(minted.token)!.secret;
    expect(!minted.secretHash.includes(secret)).toBeTruthy();
    expect(!minted.token.includes(minted.secretHash)).toBeTruthy();
    expect(minted.secretHash.length).toBe(43); // base64url SHA-256
  });

  it('rejects any single-character change through the checksum, without a lookup', () => {
    const { token } = mintToken();
    fc.assert(
      fc.property(
        fc.integer({ min: TOKEN_PREFIX.length, max: TOKEN_LENGTH - 1 }),
        fc.constantFrom(...'0123456789abcXYZ'),
        (index, char) => {
          fc.pre(token[index] !== char);
          const typo = token.slice(0, index) + char + token.slice(index + 1);
          expect(parseToken(typo)).toBe(undefined);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects arbitrary strings, wrong prefixes and wrong lengths', () => {
    const { token } = mintToken();
    for (const bad of [
      '',
      TOKEN_PREFIX,
      token.slice(1),
      `${token}x`,
      token.replace('iomsat_', 'iomsa_x'),
      token.toUpperCase(),
      ` ${token}`,
    ]) {
      // bad
      expect(parseToken(bad)).toBe(undefined);
    }
    fc.assert(
      fc.property(
        fc.string({ maxLength: 120 }),
        (value) => parseToken(value) === undefined || value.startsWith(TOKEN_PREFIX),
      ),
    );
  });

  it('compares secrets against the stored hash', () => {
    const minted = mintToken();
    const secret = parseToken(minted.token)!.secret;
    expect(secretMatches(secret, minted.secretHash)).toBe(true);
    // A different last character (a fixed 'x' would equal the secret's own one time in 62).
    expect(secretMatches(`${secret.slice(0, -1)}${secret.endsWith('x') ? 'y' : 'x'}`, minted.secretHash)).toBe(false);
    expect(secretMatches(secret, 'short')).toBe(false);
  });

  it('compares one presented secret with several stored hashes, each as secretMatches does', () => {
    const [current, previous] = [mintToken(), mintToken()];
    const matches = secretMatcher(parseToken(previous.token)!.secret);
    expect([current.secretHash, previous.secretHash, 'short'].map(matches)).toStrictEqual([false, true, false]);
  });
});
