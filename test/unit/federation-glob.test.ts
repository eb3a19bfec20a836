import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { compileGlob, onlyWildcards } from '../../shared/federation/checks.js';

const SEED = 20261130;

/** The meaning of a pattern, said another way: a regular expression (fine for short values). */
function reference(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '*') {
      source += pattern[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      continue;
    }
    let run = 1;
    while (pattern[i + 1] === '*') {
      run++;
      i++;
    }
    source += run === 1 ? '[^:]*' : '[\\s\\S]*';
  }
  return new RegExp(`^${source}$`);
}

const patternChar = fc.constantFrom('a', 'b', ':', '*', '/');
const valueChar = fc.constantFrom('a', 'b', ':', '/');

describe('federation glob patterns', () => {
  it('match a GitHub Actions subject as documented', () => {
    const sub = 'repo:org/app:environment:prod';
    expect(compileGlob(sub).matches(sub)).toBe(true);
    expect(compileGlob('repo:org/*:environment:prod').matches(sub)).toBe(true);
    expect(compileGlob('repo:org/app:**').matches(sub)).toBe(true);
    expect(compileGlob('repo:org/**').matches(sub)).toBe(true);
    expect(compileGlob('repo:*:environment:prod').matches(sub)).toBe(true);
    // `*` stays inside its segment.
    expect(compileGlob('repo:org/app:*').matches(sub)).toBe(false);
    expect(compileGlob('repo:org/*').matches(sub)).toBe(false);
    expect(compileGlob('repo:other/*:environment:prod').matches(sub)).toBe(false);
    expect(compileGlob('repo:org/app:environment:production').matches(sub)).toBe(false);
    expect(compileGlob('repo:org/app:environment:pro').matches(sub)).toBe(false);
    // Exact patterns compare whole strings: no prefix, no suffix, no case folding.
    expect(compileGlob('repo:org/app').matches(sub)).toBe(false);
    expect(compileGlob('REPO:org/app:environment:prod').matches(sub)).toBe(false);
  });

  it('match exactly what the equivalent regular expression matches', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: patternChar, maxLength: 12 }),
        fc.string({ unit: valueChar, maxLength: 14 }),
        (pattern, value) => {
          expect(compileGlob(pattern).matches(value)).toBe(reference(pattern).test(value));
        },
      ),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it('match themselves when they have no wildcard, and nothing else', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: valueChar, maxLength: 20 }),
        fc.string({ unit: valueChar, maxLength: 20 }),
        (pattern, value) => {
          const glob = compileGlob(pattern);
          expect(glob.wildcard).toBe(false);
          expect(glob.matches(pattern)).toBe(true);
          expect(glob.matches(value)).toBe(value === pattern);
        },
      ),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('match any value made by filling in the wildcards (`*` without a colon)', () => {
    const filler = fc.string({ unit: fc.constantFrom('x', 'y', '/'), maxLength: 5 });
    const deepFiller = fc.string({ unit: fc.constantFrom('x', ':', '/'), maxLength: 5 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: valueChar, maxLength: 4 }), fc.constantFrom('', '*', '**')), {
          maxLength: 6,
        }),
        fc.array(fc.tuple(filler, deepFiller), { minLength: 6, maxLength: 6 }),
        (pieces, fills) => {
          const pattern = pieces.map(([text, wildcard]) => `${text}${wildcard}`).join('');
          const value = pieces
            .map(
              ([text, wildcard], i) =>
                `${text}${wildcard === '*' ? fills[i]![0] : wildcard === '**' ? fills[i]![1] : ''}`,
            )
            .join('');
          expect(compileGlob(pattern).matches(value)).toBe(true);
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('decide adversarial patterns on long values without backtracking', () => {
    // A backtracking matcher takes exponential time here; this one is length × length.
    const value = `${'a'.repeat(2000)}:${'a'.repeat(2000)}`;
    expect(compileGlob('*a*a*a*a*a*a*a*a*a*a*b').matches(value)).toBe(false);
    expect(compileGlob('**a**a**a**a**a**a**a**a**b').matches(value)).toBe(false);
    expect(compileGlob('*a*a*a*:**a').matches(value)).toBe(true);
  });

  it('tell patterns of wildcards only, which would admit any subject', () => {
    for (const pattern of ['*', '**', '*:*', '**:**', ':', '', '***']) expect(onlyWildcards(pattern)).toBe(true);
    for (const pattern of ['repo:*', 'a', '*a*', 'repo:org/app:**']) expect(onlyWildcards(pattern)).toBe(false);
  });
});
