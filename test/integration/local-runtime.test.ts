import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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

let server: ChildProcess;
let base: string;
let serverOutput = '';

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn('npm', ['start', '--', '--in-memory', '--port', String(port), '--directory', directoryFile], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DYNAMODB_ENDPOINT: '', TABLE_NAME: '' },
    detached: true,
  });
  server.stdout?.on('data', (chunk) => (serverOutput += String(chunk)));
  server.stderr?.on('data', (chunk) => (serverOutput += String(chunk)));
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/health`)).status === 200) break;
    } catch {
      // not up yet
    }
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${serverOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
});

after(async () => {
  if (server?.pid && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    process.kill(-server.pid, 'SIGTERM');
    await exited;
  }
});

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
    assert.ok(!serverOutput.includes(token.slice(23)), 'the secret is not in the server output');
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
    assert.match(run.stderr, /users\[1\]: Unrecognized key/i);
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
