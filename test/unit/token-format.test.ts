import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hashSecret, mintToken, parseToken, secretMatches, TOKEN_LENGTH, TOKEN_PREFIX } from '../../shared/token-format.js';

describe('token format', () => {
  it('mints recognisable tokens with a lookup id, a 256-bit secret and a checksum', () => {
    const minted = mintToken();
    assert.match(minted.token, /^iomsat_[0-9A-Za-z]{65}$/);
    assert.equal(minted.token.length, TOKEN_LENGTH);
    assert.ok(minted.token.startsWith(minted.prefix));
    assert.equal(minted.prefix, `${TOKEN_PREFIX}${minted.lookupId}`);
    const parsed = parseToken(minted.token);
    assert.ok(parsed);
    assert.equal(parsed.lookupId, minted.lookupId);
    // 43 base62 characters hold 256 bits (62^43 > 2^256).
    assert.equal(parsed.secret.length, 43);
    assert.ok(62n ** 43n > 2n ** 256n);
    assert.equal(hashSecret(parsed.secret), minted.secretHash);
  });

  it('never mints the same token or lookup id twice in 10,000 draws', () => {
    const tokens = new Set<string>();
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const minted = mintToken();
      tokens.add(minted.token);
      ids.add(minted.lookupId);
    }
    assert.equal(tokens.size, 10_000);
    assert.equal(ids.size, 10_000);
  });

  it('stores a hash that does not contain the secret', () => {
    const minted = mintToken();
    const secret = parseToken(minted.token)!.secret;
    assert.ok(!minted.secretHash.includes(secret));
    assert.ok(!minted.token.includes(minted.secretHash));
    assert.equal(minted.secretHash.length, 43); // base64url SHA-256
  });

  it('rejects any single-character change through the checksum, without a lookup', () => {
    const { token } = mintToken();
    fc.assert(
      fc.property(fc.integer({ min: TOKEN_PREFIX.length, max: TOKEN_LENGTH - 1 }), fc.constantFrom(...'0123456789abcXYZ'), (index, char) => {
        fc.pre(token[index] !== char);
        const typo = token.slice(0, index) + char + token.slice(index + 1);
        assert.equal(parseToken(typo), undefined);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects arbitrary strings, wrong prefixes and wrong lengths', () => {
    const { token } = mintToken();
    for (const bad of ['', TOKEN_PREFIX, token.slice(1), `${token}x`, token.replace('iomsat_', 'iomsa_x'), token.toUpperCase(), ` ${token}`]) {
      assert.equal(parseToken(bad), undefined, bad);
    }
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (value) => parseToken(value) === undefined || value.startsWith(TOKEN_PREFIX)));
  });

  it('compares secrets against the stored hash', () => {
    const minted = mintToken();
    const secret = parseToken(minted.token)!.secret;
    assert.equal(secretMatches(secret, minted.secretHash), true);
    assert.equal(secretMatches(`${secret.slice(0, -1)}x`, minted.secretHash), false);
    assert.equal(secretMatches(secret, 'short'), false);
  });
});
