/**
 * Which of many known strings (secrets, hashes, key values) occur in a text, in one pass
 * over the text whatever their number: a security file checks every response against
 * every secret it has seen, thousands of each, and asking `includes` once per secret made
 * that check grow with their product.
 *
 * A needle can only occur inside a run of characters that needles are made of, so only
 * such runs at least as long as a needle are looked into; in them a rolling hash of each
 * window of a needle's length is looked up, and a hit is compared character by character.
 * What is found is exactly what `text.includes(needle)` would find, needle by needle.
 */
const BASE = 0x01000193;

/** The hash of `text.slice(start, start + length)`, as the rolling hash below arrives at it. */
function hashOf(text: string, start: number, length: number): number {
  let hash = 0;
  for (let i = start; i < start + length; i++) hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0;
  return hash;
}

/** BASE to the power `exponent`, modulo 2^32: the weight of a window's first character. */
function weight(exponent: number): number {
  let power = 1;
  for (let i = 0; i < exponent; i++) power = Math.imul(power, BASE);
  return power;
}

interface Width {
  length: number;
  /** BASE^(length-1): what the character leaving the window weighed. */
  leading: number;
  byHash: Map<number, string[]>;
}

export class NeedleIndex {
  private readonly needles = new Set<string>();
  /** By length, longest first: one rolling hash per length that needles have. */
  private widths: Width[] = [];
  /** Character codes that occur in some needle. */
  private readonly alphabet = new Set<number>();
  private readonly ascii = new Uint8Array(128);

  get size(): number {
    return this.needles.size;
  }

  add(needle: string): void {
    if (needle === '' || this.needles.has(needle)) return;
    this.needles.add(needle);
    for (let i = 0; i < needle.length; i++) {
      const code = needle.charCodeAt(i);
      if (code < 128) this.ascii[code] = 1;
      else this.alphabet.add(code);
    }
    let width = this.widths.find((candidate) => candidate.length === needle.length);
    if (!width) {
      width = { length: needle.length, leading: weight(needle.length - 1), byHash: new Map() };
      this.widths = [...this.widths, width].sort((a, b) => b.length - a.length);
    }
    const hash = hashOf(needle, 0, needle.length);
    const same = width.byHash.get(hash);
    if (same) same.push(needle);
    else width.byHash.set(hash, [needle]);
  }

  /** Every needle that occurs in `text`. */
  findIn(text: string): Set<string> {
    const found = new Set<string>();
    if (this.widths.length === 0) return found;
    const shortest = this.widths[this.widths.length - 1]!.length;
    const inAlphabet = (code: number) => (code < 128 ? this.ascii[code] === 1 : this.alphabet.has(code));
    let start = 0;
    while (start < text.length) {
      if (!inAlphabet(text.charCodeAt(start))) {
        start += 1;
        continue;
      }
      let end = start + 1;
      while (end < text.length && inAlphabet(text.charCodeAt(end))) end += 1;
      if (end - start >= shortest) {
        for (const width of this.widths) if (width.length <= end - start) this.scanRun(text, start, end, width, found);
      }
      start = end;
    }
    return found;
  }

  private scanRun(text: string, start: number, end: number, width: Width, found: Set<string>): void {
    const { length, leading, byHash } = width;
    let hash = hashOf(text, start, length);
    for (let at = start; ; at++) {
      const candidates = byHash.get(hash);
      if (candidates) for (const needle of candidates) if (text.startsWith(needle, at)) found.add(needle);
      if (at + length >= end) return;
      const leaving = Math.imul(text.charCodeAt(at), leading);
      hash = (Math.imul(hash - leaving, BASE) + text.charCodeAt(at + length)) | 0;
    }
  }
}

/** A map of needles (a secret to the token prefix that names it) that keeps its index as it grows. */
export class NeedleMap<V> extends Map<string, V> {
  readonly index = new NeedleIndex();

  override set(needle: string, value: V): this {
    super.set(needle, value);
    // Map's constructor calls `set` for its entries before this class's fields exist.
    this.index?.add(needle);
    return this;
  }
}

/** A set of needles that keeps its index as it grows. */
export class NeedleSet extends Set<string> {
  readonly index = new NeedleIndex();

  override add(needle: string): this {
    super.add(needle);
    this.index?.add(needle);
    return this;
  }
}
