import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Generated figures and tables live in docs/ between `<!-- name:begin -->` and
 * `<!-- name:end -->` markers; the scripts that measure or generate them rewrite only what
 * lies between, so a figure is never edited by hand and the prose around it is never
 * touched by a script. (The README holds none: it is the front page.)
 */
export function replaceBetween(text: string, marker: string, content: string): string {
  const begin = `<!-- ${marker}:begin -->`;
  const end = `<!-- ${marker}:end -->`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`markers ${begin} … ${end} not found`);
  return `${text.slice(0, from + begin.length)}\n${content}\n${text.slice(to)}`;
}

export function rewriteBlock(file: string, marker: string, content: string): void {
  writeFileSync(file, replaceBetween(readFileSync(file, 'utf8'), marker, content));
}
