import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { freePort } from '../../infra/local/dynamodb-local.js';
import { PROJECT_ROOT } from '../../infra/local/paths.js';
import { DynamoDirectoryStore } from '../../shared/store/directory-store.js';
import { ensureTable } from '../../shared/store/table.js';

/**
 * The commands of DESIGN.md §7 as a newcomer (and the acceptance tests) run them:
 * `npm start -- --in-memory --port N --directory FILE`, `npm run -s dev-token`, and
 * `npm run directory -- import`.
 */
const work = mkdtempSync(join(tmpdir(), 'sat-local-'));
const directoryFile = join(work, 'directory.json');
writeFileSync(
  directoryFile,
  JSON.stringify({
    domains: [{ id: 'ops', authorization: 'BUNDLE_V2' }],
    users: [
      { id: 'olga', type: 'USER', domains: ['ops'], groups: ['ops-team'] },
      { id: 'sa-deployer', type: 'SERVICE_ACCOUNT', domains: ['ops'], groups: ['ops-team'] },
    ],
    bundles: [{ domain: 'ops', permissions: ['MANAGE_ACCESS_TOKEN'], users: ['olga'], groups: [] }],
  }),
);

function npm(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync('npm', args, { cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

interface Started {
  base: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Runs `npm start -- --in-memory --port N [args]` as a newcomer would, until /health answers. */
async function npmStart(args: string[]): Promise<Started> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn('npm', ['start', '--', '--in-memory', '--port', String(port), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DYNAMODB_ENDPOINT: '', TABLE_NAME: '' },
    detached: true,
  });
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/health`)).status === 200) return { base, output: () => output, stop };
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

let server: Started;
let base: string;
let serverOutput = '';

before(async () => {
  server = await npmStart(['--directory', directoryFile]);
  base = server.base;
  serverOutput = server.output();
});

after(async () => server?.stop());

describe('npm start', () => {
  it('prints the base URL and a walkthrough', () => {
    assert.ok(serverOutput.includes(base), serverOutput);
    assert.ok(serverOutput.includes('dev-token'), serverOutput);
  });

  it('serves the README walkthrough: create, use, suspend, refuse, reactivate, delete', async () => {
    const jwtRun = npm(['run', '-s', 'dev-token', '--', 'olga']);
    assert.equal(jwtRun.status, 0, jwtRun.stderr);
    assert.match(jwtRun.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'dev-token prints the JWT and nothing else');
    const jwt = jwtRun.stdout.trim();
    const tokens = `${base}/api/v1/domains/ops/auth/service-accounts/sa-deployer/tokens`;
    const json = { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' };

    const created = await fetch(tokens, { method: 'POST', headers: json, body: JSON.stringify({ name: 'ci', maxRps: 5 }) });
    assert.equal(created.status, 201);
    const { token } = (await created.json()) as { token: string };

    const whoami = await fetch(`${base}/api/v1/auth/whoami`, { headers: { 'X-API-Token': token } });
    assert.deepEqual(await whoami.json(), {
      userId: 'sa-deployer',
      type: 'SERVICE_ACCOUNT',
      authenticatedBy: 'ACCESS_TOKEN',
      tokenName: 'ci',
      maxRps: 5,
    });
    const patch = (status: string) => fetch(`${tokens}/ci`, { method: 'PATCH', headers: json, body: JSON.stringify({ status }) });
    assert.equal((await patch('SUSPENDED')).status, 200);
    assert.equal((await fetch(`${base}/api/v1/auth/whoami`, { headers: { 'X-API-Token': token } })).status, 401);
    assert.equal((await patch('ACTIVE')).status, 200);
    assert.equal((await fetch(`${base}/api/v1/auth/whoami`, { headers: { 'X-API-Token': token } })).status, 200);
    assert.equal((await fetch(`${tokens}/ci`, { method: 'DELETE', headers: json })).status, 204);
    assert.equal((await fetch(`${base}/api/v1/auth/whoami`, { headers: { 'X-API-Token': token } })).status, 401);
    assert.ok(!server.output().includes(token.slice(23)), 'the secret is not in the server output');
  });

  it('refuses bad options with usage', () => {
    const run = npm(['start', '--', '--port', 'abc']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--port/);
  });

  it('says in one line that Java is needed when it is missing', () => {
    const node = process.execPath;
    const run = spawnSync(node, ['--import', 'tsx', 'infra/local/start.ts', '--in-memory', '--port', '0'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, PATH: dirname(node), DYNAMODB_ENDPOINT: '' },
      timeout: 60_000,
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr.trim(), /^DynamoDB Local needs Java 17 or newer, and "java" was not found: install/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
  });
});

describe('the README walkthrough', () => {
  it('runs verbatim against npm start with the example directory', async () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Walkthrough'));
    const script = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    if (!script?.startsWith('API=http://127.0.0.1:3000\n')) assert.fail('the walkthrough starts by naming the API');
    const started = await npmStart([]);
    try {
      const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script.replace('API=http://127.0.0.1:3000', `API=${started.base}`)], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(run.status, 0, run.stderr);
      const lines = run.stdout.trim().split('\n');
      assert.match(lines[0]!, /"token":"iomsat_/);
      assert.equal(lines[1], '{"userId":"sa-etl","type":"SERVICE_ACCOUNT","authenticatedBy":"ACCESS_TOKEN","tokenName":"ci-pipeline","maxRps":5}');
      assert.match(lines[2]!, /^\{"tokens":\[\{"name":"ci-pipeline"/);
      assert.match(lines[3]!, /"status":"SUSPENDED"/);
      assert.equal(lines[4], '401');
      assert.match(lines[5]!, /"status":"ACTIVE"/);
      assert.deepEqual(lines.slice(6), ['200', '204', '401']);
    } finally {
      await started.stop();
    }
  });
});

describe('npm run directory -- import', () => {
  const endpoint = process.env.DYNAMODB_ENDPOINT!;
  const tableName = `import-${process.pid}`;
  const env = { DYNAMODB_ENDPOINT: endpoint, TABLE_NAME: tableName };
  let store: DynamoDirectoryStore;

  before(async () => {
    const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await ensureTable(client, tableName);
    store = new DynamoDirectoryStore(DynamoDBDocumentClient.from(client), tableName);
  });

  it('imports a file, and importing it again changes nothing', async () => {
    const first = npm(['run', 'directory', '--', 'import', directoryFile], env);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /\d+ written, 0 removed/);
    const again = npm(['run', 'directory', '--', 'import', directoryFile], env);
    assert.match(again.stdout, /0 written, 0 removed/);
    const olga = await store.getPrincipal('olga');
    assert.deepEqual(olga?.tokenManagerIn, ['ops']);
  });

  it('refuses an invalid file, naming the entry, and writes nothing', async () => {
    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ users: [{ id: 'zoe', type: 'USER', domains: ['nowhere'] }, { id: 'zoe', type: 'USER', colour: 'red' }] }));
    const run = npm(['run', 'directory', '--', 'import', bad], env);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /users\[1\]: unknown field "colour"/);
    assert.equal(await store.getPrincipal('zoe'), undefined);
  });

  it('upserts by default and removes what the file no longer holds with --replace', async () => {
    const update = join(work, 'update.json');
    writeFileSync(update, JSON.stringify({ users: [{ id: 'newbie', type: 'USER', domains: ['ops'], groups: ['ops-team'] }] }));
    assert.equal(npm(['run', 'directory', '--', 'import', update], env).status, 0);
    assert.ok(await store.getPrincipal('newbie'));
    assert.ok(await store.getPrincipal('olga'), 'upsert keeps the others');

    const replace = npm(['run', 'directory', '--', 'import', directoryFile, '--replace'], env);
    assert.equal(replace.status, 0, replace.stderr);
    assert.match(replace.stdout, /[1-9]\d* removed/);
    assert.equal(await store.getPrincipal('newbie'), undefined);
    assert.ok(await store.getPrincipal('olga'));
  });

  it('drops a grant when the role behind it goes', async () => {
    const withoutGrant = join(work, 'no-grant.json');
    writeFileSync(withoutGrant, JSON.stringify({ domains: [{ id: 'ops', authorization: 'BUNDLE_V2' }], users: [{ id: 'olga', type: 'USER', domains: ['ops'], groups: ['ops-team'] }] }));
    assert.equal(npm(['run', 'directory', '--', 'import', withoutGrant, '--replace'], env).status, 0);
    assert.deepEqual((await store.getPrincipal('olga'))?.tokenManagerIn, []);
  });
});
