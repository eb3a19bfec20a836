import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { freePort } from '../../infra/local/dynamodb-local.js';
import { PROJECT_ROOT } from '../../infra/local/paths.js';
import { npmStart as startNpm, type Started } from '../support/npm-start.js';
import { DynamoDirectoryStore } from '../../shared/directory/directory-store.js';
import { ensureTable } from '../../shared/dynamodb/table.js';
import { readConfig } from '../../shared/kernel/config.js';
import { createRuntime } from '../../shared/runtime/runtime.js';
import { parseToken } from '../../shared/kernel/token-format.js';
import { createToken } from '../../shared/tokens/create-token.js';

/**
 * The commands of docs/local.md ("Commands") as a newcomer (and the acceptance tests) run them:
 * `npm start -- --in-memory --port N --directory FILE`, `npm run -s dev-token`, and
 * `npm run directory -- import`. (The README's walkthrough and the docs' other shell blocks
 * run in docs-snippets.test.ts; finding the server, in local-helpers.test.ts.)
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

/**
 * Runs an npm command to its end without blocking the event loop: a blocked loop would
 * leave this process's kept-alive connections to the server unread past its keep-alive
 * timeout, and the next fetch would find its socket closed.
 */
function npm(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('npm', args, { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.once('error', reject);
    child.once('close', (status) => resolveRun({ status, stdout, stderr }));
  });
}

/** `npm start -- --in-memory` on its own DynamoDB Local, as a newcomer runs it. */
const npmStart = (args: string[]) => startNpm(['--in-memory', ...args], { DYNAMODB_ENDPOINT: '', TABLE_NAME: '' });

let server: Started;
let base: string;
let serverOutput = '';

beforeAll(async () => {
  server = await npmStart(['--directory', directoryFile]);
  base = server.base;
  serverOutput = server.output();
});

afterAll(async () => server?.stop());

describe('npm start', () => {
  it('prints the base URL and a walkthrough', () => {
    // serverOutput
    expect(serverOutput.includes(base)).toBeTruthy();
    // serverOutput
    expect(serverOutput.includes('dev-token')).toBeTruthy();
  });

  it('serves its OpenAPI document at /openapi.json: the committed contract', async () => {
    const served = await fetch(`${base}/openapi.json`);
    expect(served.status).toBe(200);
    const committed = JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'docs/openapi.json'), 'utf8'));
    expect(JSON.parse(await served.text())).toStrictEqual(committed);
  });

  it('serves its OpenID provider and the console', async () => {
    const discovery = (await (await fetch(`${base}/oidc/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery).toMatchObject({
      issuer: `${base}/oidc`,
      jwks_uri: `${base}/oidc/jwks`,
      code_challenge_methods_supported: ['S256'],
    });
    const page = await fetch(`${base}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await page.text()).toMatch(
      /<script type="module" crossorigin src="\/console\/assets\/index-[\w-]+\.js"><\/script>/,
    );
    expect(await (await fetch(`${base}/console/config.json`)).json()).toStrictEqual({
      issuer: `${base}/oidc`,
      clientId: 'console',
      scope: 'openid api',
    });
  });

  it('dev-token signs in at the provider, and says why when it refuses', async () => {
    // Named explicitly: other test files may run their own npm start at the same time.
    const env = { JWT_ISSUER: `${base}/oidc` };
    const jwt = await npm(['run', '-s', 'dev-token', '--', 'olga'], env);
    expect(jwt).toMatchObject({ status: 0 });
    const payload = JSON.parse(Buffer.from(jwt.stdout.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(payload).toMatchObject({
      sub: 'olga',
      iss: `${base}/oidc`,
      aud: 'service-account-tokens',
      client_id: 'dev-token',
    });
    const serviceAccount = await npm(['run', '-s', 'dev-token', '--', 'sa-deployer'], env);
    expect(serviceAccount.status).toBe(1);
    expect(serviceAccount.stderr.trim()).toBe(
      'dev-token: sign-in refused for sa-deployer: “sa-deployer” is a service account: service accounts authenticate with access tokens, not by signing in.',
    );
    expect((await npm(['run', '-s', 'dev-token', '--', 'mallory'], env)).stderr).toMatch(
      /No one in the directory has the user id “mallory”/,
    );
    // A port nothing listens on (fetch refuses some well-known ports outright, 9 among them).
    const closed = `http://127.0.0.1:${await freePort()}/oidc`;
    const nowhere = await npm(['run', '-s', 'dev-token', '--', 'olga'], { JWT_ISSUER: closed });
    expect(nowhere.stderr.trim()).toBe(
      `dev-token: no OpenID provider at ${closed}: start the service first (npm start)`,
    );
  });

  it('serves a token to the JWT dev-token gives: create, use, suspend, refuse, reactivate, delete', async () => {
    const jwtRun = await npm(['run', '-s', 'dev-token', '--', 'olga'], { JWT_ISSUER: `${base}/oidc` });
    expect(jwtRun).toMatchObject({ status: 0 });
    // 'dev-token prints the JWT and nothing else'
    expect(jwtRun.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const jwt = jwtRun.stdout.trim();
    const tokens = `${base}/api/v1/domains/ops/auth/service-accounts/sa-deployer/tokens`;
    const json = { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' };

    const created = await fetch(tokens, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'ci', maxRps: 5 }),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };

    const whoami = await fetch(`${base}/api/v1/auth/whoami`, { headers: { 'X-API-Token': token } });
    expect(await whoami.json()).toStrictEqual({
      userId: 'sa-deployer',
      type: 'SERVICE_ACCOUNT',
      authenticatedBy: 'ACCESS_TOKEN',
      tokenName: 'ci',
      maxRps: 5,
      expiresAt: null,
      scopes: ['tokens:read', 'tokens:write', 'api'],
      allowedCidrs: null,
      capabilities: { admin: false, domains: ['ops'], manageTokensIn: [] },
      tokenSettings: {
        maxLifetimeDays: 365,
        maxRps: 3_000,
        defaultGracePeriodSeconds: 86_400,
        maxGracePeriodSeconds: 604_800,
      },
    });
    const patch = (status: string) =>
      fetch(`${tokens}/ci`, { method: 'PATCH', headers: json, body: JSON.stringify({ status }) });
    expect((await patch('SUSPENDED')).status).toBe(200);
    expect((await fetch(`${base}/api/v1/auth/whoami`, { headers: { 'X-API-Token': token } })).status).toBe(401);
    expect((await patch('ACTIVE')).status).toBe(200);
    expect((await fetch(`${base}/api/v1/auth/whoami`, { headers: { 'X-API-Token': token } })).status).toBe(200);
    expect((await fetch(`${tokens}/ci`, { method: 'DELETE', headers: json })).status).toBe(204);
    expect((await fetch(`${base}/api/v1/auth/whoami`, { headers: { 'X-API-Token': token } })).status).toBe(401);
    // 'the secret is not in the server output'
    expect(!server.output().includes(token.slice(23))).toBeTruthy();
    // A CI stand-in on this machine may be a federation issuer: npm start allows loopback issuers (only it does).
    const policy = JSON.stringify({ name: 'local-ci', issuer: 'http://127.0.0.1:9/ci', subject: 'repo:org/app:**' });
    const policies = tokens.replace(/tokens$/, 'federation-policies');
    expect((await fetch(policies, { method: 'POST', headers: json, body: policy })).status).toBe(201);
  });

  it('refuses bad options with usage', async () => {
    const run = await npm(['start', '--', '--port', 'abc']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--port/);
  });

  it('says in one line that Java is needed when it is missing', () => {
    const node = process.execPath;
    const run = spawnSync(node, ['--import', 'tsx', 'infra/local/start.ts', '--in-memory', '--port', '0'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, PATH: dirname(node), DYNAMODB_ENDPOINT: '' },
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/^DynamoDB Local needs Java 17 or newer, and "java" was not found: install/);
    expect(run.stderr.trim().split('\n').length).toBe(1);
  });

  it('stops its DynamoDB Local when told to stop while it is still starting', async () => {
    // As a supervisor stops it: SIGTERM to the service's own process, not its group.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'infra/local/start.ts', '--in-memory', '--port', String(await freePort())],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, DYNAMODB_ENDPOINT: '', TABLE_NAME: '' },
      },
    );
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    const children = () =>
      readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    const isDynamoDbLocal = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('DynamoDBLocal.jar');
    let dynamodb: number | undefined;
    for (
      const deadline = Date.now() + 60_000;
      dynamodb === undefined && Date.now() < deadline && child.exitCode === null;
    ) {
      dynamodb = children().find(isDynamoDbLocal);
      await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    }
    // 'DynamoDB Local was never started'
    expect(dynamodb).toBeDefined();
    child.kill('SIGTERM');
    // Stopped, not killed by the signal (which would leave its DynamoDB Local running).
    expect(await exited).toBe(0);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive(dynamodb!)).toBe(false);
  });
});

describe('npm run directory -- import', () => {
  const endpoint = process.env.DYNAMODB_ENDPOINT!;
  const tableName = `import-${process.pid}`;
  const env = { DYNAMODB_ENDPOINT: endpoint, TABLE_NAME: tableName };
  let store: DynamoDirectoryStore;

  beforeAll(async () => {
    const client = new DynamoDBClient({
      endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await ensureTable(client, tableName, { stream: false });
    store = new DynamoDirectoryStore(DynamoDBDocumentClient.from(client), tableName);
  });

  it('imports a file, and importing it again changes nothing', async () => {
    const first = await npm(['run', 'directory', '--', 'import', directoryFile], env);
    expect(first).toMatchObject({ status: 0 });
    expect(first.stdout).toMatch(/\d+ written, 0 removed/);
    const again = await npm(['run', 'directory', '--', 'import', directoryFile], env);
    expect(again.stdout).toMatch(/0 written, 0 removed/);
    const olga = await store.getPrincipal('olga');
    expect(olga?.tokenManagerIn).toStrictEqual(['ops']);
  });

  it('refuses an invalid file, naming the entry, and writes nothing', async () => {
    const bad = join(work, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        users: [
          { id: 'zoe', type: 'USER', domains: ['nowhere'] },
          { id: 'zoe', type: 'USER', colour: 'red' },
        ],
      }),
    );
    const run = await npm(['run', 'directory', '--', 'import', bad], env);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/users\[1\]: unknown field "colour"/);
    expect(await store.getPrincipal('zoe')).toBe(undefined);
  });

  it('upserts by default and removes what the file no longer holds with --replace', async () => {
    const update = join(work, 'update.json');
    writeFileSync(
      update,
      JSON.stringify({ users: [{ id: 'newbie', type: 'USER', domains: ['ops'], groups: ['ops-team'] }] }),
    );
    expect((await npm(['run', 'directory', '--', 'import', update], env)).status).toBe(0);
    expect(await store.getPrincipal('newbie')).toBeTruthy();
    // 'upsert keeps the others'
    expect(await store.getPrincipal('olga')).toBeTruthy();

    const replace = await npm(['run', 'directory', '--', 'import', directoryFile, '--replace'], env);
    expect(replace).toMatchObject({ status: 0 });
    expect(replace.stdout).toMatch(/[1-9]\d* removed/);
    expect(await store.getPrincipal('newbie')).toBe(undefined);
    expect(await store.getPrincipal('olga')).toBeTruthy();
  });

  it('deletes the tokens of a service account the file no longer holds, and says how many', async () => {
    const runtime = createRuntime(readConfig({ DYNAMODB_ENDPOINT: endpoint, TABLE_NAME: tableName }));
    const { incarnation } = (await runtime.directory.getPrincipal('sa-deployer'))!;
    const input = { serviceAccountId: 'sa-deployer', name: 'ci', maxRps: null, expiresAt: null, createdBy: 'olga' };
    const created = await createToken(runtime, { ...input, incarnation });
    expect(await runtime.credentials.getCredential(parseToken(created.token)!.lookupId)).toBeTruthy();
    const without = join(work, 'without-deployer.json');
    const file = JSON.parse(readFileSync(directoryFile, 'utf8')) as { users: { id: string }[] };
    writeFileSync(without, JSON.stringify({ ...file, users: file.users.filter((user) => user.id !== 'sa-deployer') }));
    const run = await npm(['run', 'directory', '--', 'import', without, '--replace'], env);
    expect(run).toMatchObject({ status: 0 });
    expect(run.stdout).toMatch(/Deleted 1 token\(s\) of 1 account\(s\) no longer service accounts: sa-deployer\./);
    expect(await runtime.credentials.getCredential(parseToken(created.token)!.lookupId)).toBe(undefined);
    runtime.documents.destroy();
  });

  it('drops a grant when the role behind it goes', async () => {
    const withoutGrant = join(work, 'no-grant.json');
    writeFileSync(
      withoutGrant,
      JSON.stringify({
        domains: [{ id: 'ops', authorization: 'BUNDLE_V2' }],
        users: [{ id: 'olga', type: 'USER', domains: ['ops'], groups: ['ops-team'] }],
      }),
    );
    expect((await npm(['run', 'directory', '--', 'import', withoutGrant, '--replace'], env)).status).toBe(0);
    expect((await store.getPrincipal('olga'))?.tokenManagerIn).toStrictEqual([]);
  });
});
