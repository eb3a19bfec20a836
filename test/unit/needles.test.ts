import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mintToken, parseToken } from '../../shared/kernel/token-format.js';
import { NeedleIndex, NeedleMap, NeedleSet } from '../support/needles.js';

/**
 * The security harness's secret-leak check (test/support/needles.ts) finds in one pass what
 * asking `includes` of every secret would: the same needles, no more, no fewer.
 */
const SEED = 20261207;

const naive = (needles: string[], text: string) =>
  new Set(needles.filter((needle) => needle !== '' && text.includes(needle)));

describe('the needle index of the secret-leak check', () => {
  it('finds exactly the needles that occur, as includes would, in texts made of their own characters', () => {
    // A small alphabet and short needles, so that needles overlap, repeat, share hashes' windows and sit at the edges.
    const char = fc.constantFrom('a', 'b', 'c', '-', '"', 'é');
    const needle = fc.string({ unit: char, minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(needle, { maxLength: 12 }), fc.string({ unit: char, maxLength: 60 }), (needles, text) => {
        const index = new NeedleIndex();
        for (const n of needles) index.add(n);
        expect([...index.findIn(text)].sort()).toStrictEqual([...naive(needles, text)].sort());
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('finds secrets and hashes in an answer among thousands of others, and nothing in an answer without them', () => {
    const tokens = Array.from({ length: 3000 }, () => mintToken());
    const secrets = new NeedleMap<string>();
    const hashes = new NeedleSet();
    for (const token of tokens) {
      secrets.set(parseToken(token.token)!.secret, token.prefix);
      hashes.add(token.secretHash);
    }
    const [one, two] = [tokens[1234]!, tokens[2999]!];
    const leaked = JSON.stringify({ items: [{ token: one.token }, { hash: two.secretHash, prefix: two.prefix }] });
    expect([...secrets.index.findIn(leaked)]).toStrictEqual([parseToken(one.token)!.secret]);
    expect([...hashes.index.findIn(leaked)]).toStrictEqual([two.secretHash]);
    const clean = JSON.stringify({ tokens: tokens.map((token) => ({ prefix: token.prefix })) });
    expect(secrets.index.findIn(clean).size + hashes.index.findIn(clean).size).toBe(0);
    // A secret cut by one character is not the secret.
    expect(secrets.index.findIn(parseToken(one.token)!.secret.slice(1)).size).toBe(0);
    expect(secrets.size).toBe(3000);
  });
});
