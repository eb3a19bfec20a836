import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PROJECT_ROOT } from '../../infra/local/paths.js';
import { type Block, docBlocks, runnableBlocks } from '../support/doc-snippets.js';
import { npmStart, type Started } from '../support/npm-start.js';

/**
 * Every shell block of the README and docs/ that is not marked as needing AWS, run as a
 * reader pastes it, against `npm start` as the README starts it (its own DynamoDB Local,
 * the example directory). The README's walkthrough runs first; each file's blocks then run
 * in order, in a shell of their own that starts with the walkthrough's variables (`API`,
 * `TOKENS`, `JWT`…), as a reader's terminal would have them. Two things are put in for the
 * defaults: the server's address for `http://127.0.0.1:3000`, and its state folder for
 * `.local/`. And one check is added: a `curl` that does not print its status code must
 * succeed (`--fail-with-body`), so a renamed variable (`set -u`), a deleted token or a
 * refused request fails the block, not only a command that is not found.
 */
const state = mkdtempSync(join(tmpdir(), 'sat-docs-'));
const variables = join(state, 'walkthrough.sh');
const byFile = new Map<string, Block[]>();
for (const block of runnableBlocks(docBlocks())) byFile.set(block.file, [...(byFile.get(block.file) ?? []), block]);
const [readme, ...docs] = [...byFile.keys()];

const CURL_MUST_SUCCEED = `curl() {
  case " $* " in
    *'%{http_code}'*) command curl "$@" ;;
    *) command curl --fail-with-body "$@" ;;
  esac
}`;

let server: Started;

beforeAll(async () => {
  // As the README has it: \`npm start\`, keeping its data (here in a state folder of this file's own).
  server = await npmStart([], { LOCAL_STATE_DIR: state, DYNAMODB_ENDPOINT: undefined, TABLE_NAME: undefined });
});
afterAll(async () => server?.stop());

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A file's blocks as one bash script; each block announces itself on stderr before it runs. */
function script(blocks: Block[], prelude: string[], epilogue: string[]): string {
  const put = (code: string) =>
    code.replaceAll('http://127.0.0.1:3000', server.base).replaceAll('.local/', `${state}/`);
  return [
    CURL_MUST_SUCCEED,
    ...prelude,
    ...blocks.flatMap((block) => [`echo '::block ${block.file}:${block.line}' >&2`, put(block.code)]),
    ...epilogue,
    "echo '::done' >&2",
  ].join('\n');
}

function bash(source: string): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_STATE_DIR: state };
    // Nothing but the state folder points the helpers anywhere, as in a reader's terminal.
    for (const name of ['DYNAMODB_ENDPOINT', 'TABLE_NAME', 'JWT_ISSUER', 'AWS_REGION']) delete env[name];
    const child = spawn('bash', ['-euo', 'pipefail', '-c', source], { cwd: PROJECT_ROOT, env, detached: true });
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 90_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolveRun({ status, stdout, stderr });
    });
  });
}

/** Runs a file's blocks; a failure names the block it stopped in and shows what it said. */
async function runFile(file: string, prelude: string[], epilogue: string[] = []): Promise<string[]> {
  const blocks = byFile.get(file)!;
  const run = await bash(script(blocks, prelude, epilogue));
  const reached = [...run.stderr.matchAll(/^::block (.+)$/gm)].map((match) => match[1]);
  const outcome = { status: run.status, done: run.stderr.includes('::done') };
  if (outcome.status !== 0 || !outcome.done)
    throw new Error(`${reached.at(-1) ?? file} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  // Every block ran, each to its end.
  expect(reached).toStrictEqual(blocks.map((block) => `${block.file}:${block.line}`));
  return run.stdout.trim().split('\n');
}

/** What each file's blocks print, as its prose says. */
const EXPECTED: Record<string, (lines: string[]) => void> = {
  'docs/api.md': (lines) => {
    expect(lines.slice(0, 2)).toStrictEqual(['200', '200']);
    expect(JSON.parse(lines[2]!)).toMatchObject({ status: 403, code: 'PREVIOUS_SECRET_READ_ONLY' });
    expect(lines[3]).toBe('403');
    expect(JSON.parse(lines[4]!)).toStrictEqual({ validUntil: expect.any(String), lastUsedAt: expect.any(String) });
    // The old secret's grace period ended: no replaced secret, the old one refused, the new one served.
    expect(lines.slice(5, 8)).toStrictEqual(['null', '401', '200']);
    // A restricted token: whoami, a read, a write without its scope, then a call from outside its networks.
    expect(JSON.parse(lines[8]!)).toMatchObject({
      scopes: ['tokens:read', 'api'],
      allowedCidrs: ['127.0.0.1/32', '::1/128'],
    });
    expect(lines[9]).toBe('200');
    expect(JSON.parse(lines[10]!)).toMatchObject({ code: 'INSUFFICIENT_SCOPE', requiredScope: 'tokens:write' });
    expect(lines[11]).toBe('403');
    expect(JSON.parse(lines[12]!)).toMatchObject({
      code: 'SOURCE_IP_NOT_ALLOWED',
      detail: expect.stringMatching(/^This token may not be used from (127\.0\.0\.1|::1):/),
    });
    expect(lines[13]).toBe('403');
  },
  'docs/directory.md': (lines) => {
    const [bob, carol, root, auditor, ...imported] = lines;
    expect([bob, carol, auditor].map((line) => [JSON.parse(line!.slice(0, -4)).code, line!.slice(-3)])).toStrictEqual([
      ['FORBIDDEN', '403'],
      ['NOT_SAME_GROUP', '403'],
      ['NOT_SAME_GROUP', '403'],
    ]);
    expect(root!.slice(-3)).toBe('200');
    expect(JSON.parse(root!.slice(0, -4))).toMatchObject({ tokens: expect.any(Array) });
    expect(imported.join('\n')).toMatch(
      /Imported examples\/directory\.json into .*: 0 written, 0 removed, 41 unchanged/,
    );
  },
  'docs/events.md': (lines) => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ type: expect.stringMatching(/^token\./) });
  },
  'docs/federation.md': (lines) => {
    const policies = lines.filter((line) => line.startsWith('{"policyId"')).map((line) => JSON.parse(line).name);
    expect(policies).toStrictEqual(['github-deploy', 'local-ci', 'github-deploy-prod', 'gitlab-deploy-main']);
    const whoami = JSON.parse(lines.find((line) => line.startsWith('{"userId"'))!);
    expect(whoami).toMatchObject({ userId: 'sa-etl', authenticatedBy: 'ACCESS_TOKEN' });
    expect(whoami.tokenName).toMatch(/^local-ci\.\d{14}-[0-9a-f]{6}$/);
  },
  'docs/lifecycle.md': (lines) => {
    const text = lines.join('\n');
    expect(text).toMatch(/\(only sa-etl\/demo-expiring, sa-etl\/demo-unused\): 1 expiring notice\(s\)/);
    expect(text).toMatch(/^ {2}sa-etl\/demo-expiring: token\.expiring \(7 day\(s\) before it expires\)$/m);
    expect(text).toMatch(/^ {2}sa-etl\/demo-expiring: token\.expired$/m);
    expect(text).toMatch(/^ {2}sa-etl\/demo-unused: token\.suspended_unused \(unused 31 day\(s\)\)$/m);
    const events = JSON.parse(lines.find((line) => line.startsWith('{"events"'))!).events;
    expect(events.map((event: { tokenName: string }) => event.tokenName)).toStrictEqual(['demo-unused']);
    expect(text).toMatch(/^Well-formed: prefix, length and checksum are right\./m);
  },
};

describe('the README walkthrough', () => {
  it('runs against npm start as the README starts it, first', async () => {
    expect(readme).toBe('README.md');
    // What it sets is kept for the docs' blocks, as a reader's terminal keeps it.
    const keep =
      'comm -13 <(echo "$before" | sort) <(compgen -v | sort) | grep -vE \'^(BASH|PIPESTATUS$|_$|before$)\' ' +
      `| while read -r name; do declare -p "$name"; done > '${variables}'`;
    const [created, whoami, ...codes] = await runFile('README.md', ['before=$(compgen -v)'], [keep]);
    expect(JSON.parse(created!)).toMatchObject({
      name: 'ci-pipeline',
      maxRps: 5,
      token: expect.stringMatching(/^iomsat_/),
    });
    expect(JSON.parse(whoami!)).toStrictEqual({
      userId: 'sa-etl',
      type: 'SERVICE_ACCOUNT',
      authenticatedBy: 'ACCESS_TOKEN',
      tokenName: 'ci-pipeline',
      maxRps: 5,
      expiresAt: null,
      scopes: ['tokens:read', 'api'],
      allowedCidrs: ['127.0.0.1/32', '::1/128'],
      capabilities: { admin: false, domains: ['finance'], manageTokensIn: [] },
      tokenSettings: {
        maxLifetimeDays: 365,
        maxRps: 3_000,
        defaultGracePeriodSeconds: 86_400,
        maxGracePeriodSeconds: 604_800,
      },
    });
    expect(codes).toStrictEqual(['200', '401', '200', '200', '204', '401']);
  });
});

describe.each(docs.map((file) => [file]))('the shell blocks of %s', (file) => {
  it('run after the walkthrough, and print what the page says', async () => {
    const lines = await runFile(file, [`source '${variables}'`]);
    EXPECTED[file]?.(lines);
    expect(Object.keys(EXPECTED)).toContain(file);
  });
});
