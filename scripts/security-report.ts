import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { rewriteBlock } from './doc-blocks.js';

/**
 * `npm run test:security`: runs test/security/ with jest (whose global setup starts and
 * stops DynamoDB Local), then prints the figures every security test file recorded:
 * matrix cases, hostile inputs tried, races run, faults injected, and the failures.
 * Exits with the test run's status, so a failure still fails the command. A passing run
 * rewrites the security figures of docs/security.md.
 */
const root = resolve(import.meta.dirname, '..');
const runDirectory = mkdtempSync(resolve(tmpdir(), 'security-run-'));
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
      'test/security',
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, SECURITY_FIGURES_DIR: runDirectory } },
  );
  child.on('exit', (exitCode, signal) => done(exitCode ?? (signal ? 1 : 0)));
});
const seconds = (performance.now() - started) / 1000;

interface FileFigures {
  file: string;
  matrixCases: number;
  inputs: number;
  races: number;
  concurrentRequests: number;
  faults: number;
}
const files = readdirSync(runDirectory)
  .filter((name) => name.endsWith('.json') && name !== 'results.json')
  .map((name) => JSON.parse(readFileSync(resolve(runDirectory, name), 'utf8')) as FileFigures)
  .sort((a, b) => a.file.localeCompare(b.file));
const sum = (field: keyof Omit<FileFigures, 'file'>) => files.reduce((total, file) => total + file[field], 0);
let outcome: { files: number; passed: number; failed: number; failures: string[] } = {
  files: 0,
  passed: 0,
  failed: 0,
  failures: ['the test run reported nothing'],
};
try {
  // jest's --json report: one entry per file, one assertion result per test.
  const report = JSON.parse(readFileSync(results, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
  };
  outcome = {
    files: report.testResults.length,
    passed: report.numPassedTests,
    failed: report.numFailedTests,
    failures: report.testResults.flatMap((file) =>
      file.assertionResults
        .filter((test) => test.status === 'failed')
        .map((test) => `${file.name.replace(/^.*\/test\/security\//, '')}: ${test.fullName}`),
    ),
  };
} catch {
  // The run died before jest wrote its report; the figures say so below.
}
rmSync(runDirectory, { recursive: true, force: true });

const lines = [
  '',
  'Security figures (npm run test:security)',
  `  test files                  ${outcome.files}`,
  `  tests                       ${outcome.passed + outcome.failed} (${outcome.passed} passed, ${outcome.failed} ` +
    `failed)`,
  `  authorization matrix cases  ${sum('matrixCases')}`,
  `  hostile inputs tried        ${sum('inputs')}`,
  `  races run                   ${sum('races')} (${sum('concurrentRequests')} requests sent at once)`,
  `  faults injected             ${sum('faults')}`,
  `  failures                    ${outcome.failed}`,
  ...outcome.failures.map((failure) => `    - ${failure}`),
  `  runtime                     ${seconds.toFixed(1)} s`,
  '',
];
process.stdout.write(lines.join('\n'));

// The docs quote the figures of a complete, passing run; a failing run leaves them be.
if (code === 0 && outcome.failed === 0 && outcome.files > 0) {
  rewriteBlock(
    resolve(root, 'docs/security.md'),
    'security-figures',
    [
      '| | |',
      '|---|---|',
      `| test files | ${outcome.files} |`,
      `| tests | ${outcome.passed + outcome.failed} (${outcome.passed} passed, ${outcome.failed} failed) |`,
      `| authorization matrix cases | ${sum('matrixCases')} (all as expected) |`,
      `| hostile inputs tried | ${sum('inputs')} |`,
      `| races run | ${sum('races')} (${sum('concurrentRequests')} requests sent at once) |`,
      `| faults injected | ${sum('faults')} (DynamoDB and API Gateway) |`,
      `| failures | ${outcome.failed} |`,
      `| runtime | ${seconds.toFixed(1)} s |`,
    ].join('\n'),
  );
  console.log('docs/security.md security figures rewritten.');
}
process.exit(code);
