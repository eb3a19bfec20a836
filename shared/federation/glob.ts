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
