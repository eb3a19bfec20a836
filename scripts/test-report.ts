import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { relative, resolve } from 'node:path';
import { rewriteBlock } from './doc-blocks.js';

/**
 * `npm run test:report`: runs the whole suite as `npm test` does (no coverage)
 * and, when it passes, rewrites the counts of the table of test folders in docs/testing.md
 * and the suite's duration, and records each file's time in test/support/durations.json (the
 * order a fresh checkout runs the files in). The "what" column stays as written: a folder
 * without a row is an error, so a new folder is described before it is counted.
 */
const root = resolve(import.meta.dirname, '..');
const runDirectory = mkdtempSync(resolve(tmpdir(), 'test-run-'));
const results = resolve(runDirectory, 'results.json');
const started = performance.now();
const code = await new Promise<number>((done) => {
  const child = spawn(
    process.execPath,
    [
      '--experimental-vm-modules',
      '--disable-warning=ExperimentalWarning',
      'node_modules/jest/bin/jest.js',
      '--json',
      `--outputFile=${results}`,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  child.on('exit', (exitCode, signal) => done(exitCode ?? (signal ? 1 : 0)));
});
const seconds = (performance.now() - started) / 1000;

if (code === 0) {
  const report = JSON.parse(readFileSync(results, 'utf8')) as {
    testResults: { name: string; assertionResults: unknown[]; startTime: number; endTime: number }[];
  };
  // Each file's time, for the order a fresh checkout runs them in (test/support/sequencer.mjs).
  const durations = Object.fromEntries(
    report.testResults
      .map((file) => [relative(root, file.name), Math.round((file.endTime - file.startTime) / 100) / 10] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  writeFileSync(resolve(root, 'test/support/durations.json'), `${JSON.stringify(durations, null, 2)}\n`);
  const counts = new Map<string, number>();
  for (const file of report.testResults) {
    const folder = relative(root, file.name).split('/').slice(0, 2).join('/');
    counts.set(folder, (counts.get(folder) ?? 0) + file.assertionResults.length);
  }
  const testing = resolve(root, 'docs/testing.md');
  const block =
    /<!-- test-counts:begin -->\n([\s\S]*?)\n<!-- test-counts:end -->/.exec(readFileSync(testing, 'utf8'))?.[1] ?? '';
  const rows = new Map(
    [...block.matchAll(/^\| `(test\/[^`]+)` \| (.*) \| \d+ \|$/gm)].map((row) => [row[1]!, row[2]!]),
  );
  const missing = [...counts.keys()].filter((folder) => !rows.has(folder));
  if (missing.length > 0)
    throw new Error(
      `docs/testing.md's table of test folders has no row for ${missing.join(', ')}: describe them first.`,
    );
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const table = [
    '| folder | what | tests |',
    '|---|---|---|',
    ...[...rows]
      .filter(([folder]) => counts.has(folder))
      .map(([folder, what]) => `| \`${folder}\` | ${what} | ${counts.get(folder)} |`),
    '',
    `${total} tests in ${report.testResults.length} files; \`npm test\` took ` +
      `${Math.round(seconds)} s on the last full run (${new Date().toISOString().slice(0, 10)}).`,
  ].join('\n');
  rewriteBlock(testing, 'test-counts', table);
  console.log(
    `docs/testing.md test counts rewritten: ${total} tests in ${report.testResults.length} files, ` +
      `${seconds.toFixed(0)} s.`,
  );
}
rmSync(runDirectory, { recursive: true, force: true });
process.exit(code);
