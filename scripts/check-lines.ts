import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * `npm run lint:lines`: no source file over 300 lines, no source line over 120 characters.
 * Biome's formatter wraps code at 120 columns but leaves long strings and template
 * literals as they are, so the columns are counted here too. Tests are not counted: a
 * specification reads best as one file per subject, with its cases' data written out.
 */

const ROOT = resolve(import.meta.dirname, '..');
export const MAX_FILE_LINES = 300;
export const MAX_LINE_LENGTH = 120;

const SOURCE = /^(shared|functions|infra|console|scripts|bench)\/.*\.(ts|tsx|mts|mjs|js|css)$/;

/** The problems of one file: its length (source only) and each line over the width. */
export function problemsOf(path: string, text: string): string[] {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const problems: string[] = [];
  if (SOURCE.test(path) && lines.length > MAX_FILE_LINES) {
    problems.push(`${path}: ${lines.length} lines (at most ${MAX_FILE_LINES})`);
  }
  const long = lines.flatMap((line, i) =>
    line.length > MAX_LINE_LENGTH ? [`${path}:${i + 1}: ${line.length} characters (at most 120)`] : [],
  );
  problems.push(...long);
  return problems;
}

function main(): number {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((path) => SOURCE.test(path));
  const problems = files.flatMap((path) => {
    try {
      return problemsOf(path, readFileSync(resolve(ROOT, path), 'utf8'));
    } catch {
      return []; // listed by git but deleted in the work tree
    }
  });
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) return 1;
  console.log(`${files.length} source files within the limits.`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main();
