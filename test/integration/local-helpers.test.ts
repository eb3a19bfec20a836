import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../infra/local/dynamodb-local.js';
import { npmRun, npmStart, type Started } from '../support/npm-start.js';

/**
 * The helpers know their server: `dev-token`, `lifecycle` and `directory` find the
 * `npm start` of this folder, or the one `--url` names, say which on stderr, and refuse in
 * one line when there is none or when they would have to guess; `npm start`s run side by
 * side (any number in memory beside the one that keeps its data), and a second one that
 * would keep its data is refused with the first's address. Each case has a state folder of
 * its own, so the npm starts other test files run are not in it.
 */
const stateDir = () => mkdtempSync(join(tmpdir(), 'sat-helpers-'));
/** The helpers' environment: nothing but the state folder points them anywhere. */
const helperEnv = (state: string) => ({
  LOCAL_STATE_DIR: state,
  DYNAMODB_ENDPOINT: undefined,
  AWS_REGION: undefined,
  TABLE_NAME: undefined,
  JWT_ISSUER: undefined,
});
const directoryFile = join(mkdtempSync(join(tmpdir(), 'sat-helpers-dir-')), 'directory.json');
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
const payload = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const lines = (text: string) => text.trim().split('\n');

describe('with no npm start running', () => {
  it('each helper refuses in one line, and no AWS SDK message leaks through', async () => {
    const env = helperEnv(stateDir());
    const runs = await Promise.all([
      npmRun(['run', '-s', 'dev-token', '--', 'alice'], env),
      npmRun(['run', '-s', 'lifecycle'], env),
      npmRun(['run', '-s', 'directory', '--', 'import', directoryFile], env),
    ]);
    const refusal = 'no npm start is running in this folder: start one (npm start), or name one with --url';
    expect(runs.map(({ status, stdout, stderr }) => ({ status, stdout, stderr: lines(stderr) }))).toStrictEqual(
      ['dev-token', 'lifecycle', 'directory'].map((tool) => ({
        status: 1,
        stdout: '',
        stderr: [`${tool}: ${refusal}`],
      })),
    );
  });

  it('a helper named a server that is not there says so in one line', async () => {
    const env = helperEnv(stateDir());
    const url = `http://127.0.0.1:${await freePort()}`;
    const lifecycle = await npmRun(['run', '-s', 'lifecycle', '--', '--url', url], env);
    expect({ status: lifecycle.status, stderr: lines(lifecycle.stderr) }).toStrictEqual({
      status: 1,
      stderr: [`lifecycle: no npm start of this folder is running at ${url} (none is running here)`],
    });
    // dev-token needs only a provider, whoever runs it: it asks there, and says none answered.
    const devToken = await npmRun(['run', '-s', 'dev-token', '--', '--url', url, 'alice'], env);
    expect({ status: devToken.status, stderr: lines(devToken.stderr) }).toStrictEqual({
      status: 1,
      stderr: [`dev-token: no OpenID provider at ${url}/oidc: start the service first (npm start)`],
    });
    const nonsense = await npmRun(['run', '-s', 'directory', '--', 'import', directoryFile, '--url', 'port 3000'], env);
    expect(lines(nonsense.stderr)).toStrictEqual([
      'directory: --url must be the address npm start printed, such as http://127.0.0.1:3000; got "port 3000"',
    ]);
  });

  it('a helper whose npm start no longer answers says so in one line', async () => {
    const state = stateDir();
    // An announcement as a hung npm start leaves it: its process alive (this one), its DynamoDB gone.
    mkdirSync(join(state, 'servers'));
    const gone = `http://127.0.0.1:${await freePort()}`;
    const server = { url: gone, issuer: `${gone}/oidc`, dynamodbEndpoint: gone, tableName: 't', pid: process.pid };
    writeFileSync(join(state, 'servers', `${process.pid}.json`), JSON.stringify({ ...server, keepsData: false }));
    const run = await npmRun(['run', '-s', 'lifecycle'], helperEnv(state));
    expect({ status: run.status, stderr: lines(run.stderr) }).toStrictEqual({
      status: 1,
      stderr: [
        `lifecycle: npm start at ${gone} (table t)`,
        `lifecycle: no DynamoDB answers at ${gone}: has its npm start stopped?`,
      ],
    });
  });
});

describe('two npm starts in one folder', () => {
  const state = stateDir();
  const env = helperEnv(state);
  // Both on the run's DynamoDB Local, each with a table of its own (faster than two more JVMs).
  const startEnv = { LOCAL_STATE_DIR: state, TABLE_NAME: undefined, JWT_ISSUER: undefined };
  let keeper: Started;
  let inMemory: Started | undefined;

  beforeAll(async () => {
    [keeper, inMemory] = await Promise.all([
      npmStart(['--directory', directoryFile], { ...startEnv, TABLE_NAME: `keeper-${process.pid}` }),
      npmStart(['--directory', directoryFile, '--in-memory'], { ...startEnv, TABLE_NAME: `memory-${process.pid}` }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([keeper?.stop(), inMemory?.stop()]);
  });

  it('run side by side, and a second one keeping its data is refused with the first’s address', async () => {
    const second = await npmRun(['start', '--', '--port', String(await freePort())], { ...env, ...startEnv });
    expect(second.status).toBe(1);
    expect(lines(second.stderr).at(-1)).toMatch(
      new RegExp(
        `^npm start is already running in this folder at ${keeper.base} \\(pid \\d+\\), keeping its data in .+: ` +
          'use it, stop it first, or start this one with --in-memory\\.$',
      ),
    );
    // Each in-memory one writes its events to a file of its own.
    expect(readdirSync(state).filter((name) => /^events\.in-memory\.\d+\.jsonl/.test(name)).length).toBeGreaterThan(0);
  });

  it('the helpers refuse to guess between them, and talk to the one --url names, saying so', async () => {
    const guess = await npmRun(['run', '-s', 'dev-token', '--', 'olga'], env);
    const [first, second] = [keeper.base, inMemory!.base].sort();
    expect({ status: guess.status, stdout: guess.stdout, stderr: lines(guess.stderr) }).toStrictEqual({
      status: 1,
      stdout: '',
      stderr: [`dev-token: 2 npm starts are running in this folder (${first}, ${second}): name one with --url`],
    });

    const jwt = await npmRun(['run', '-s', 'dev-token', '--', '--url', inMemory!.base, 'olga'], env);
    expect(jwt.status).toBe(0);
    // stdout is the JWT alone, so that JWT=$(npm run -s dev-token -- olga) captures it.
    expect(jwt.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(payload(jwt.stdout)).toMatchObject({ sub: 'olga', iss: `${inMemory!.base}/oidc` });
    expect(lines(jwt.stderr)).toStrictEqual([
      `dev-token: olga signed in at ${inMemory!.base}/oidc (npm start at ${inMemory!.base})`,
    ]);

    const lifecycle = await npmRun(['run', '-s', 'lifecycle', '--', '--url', keeper.base], env);
    expect(lifecycle.status).toBe(0);
    expect(lines(lifecycle.stderr)).toStrictEqual([
      `lifecycle: npm start at ${keeper.base} (table keeper-${process.pid})`,
    ]);
    expect(lifecycle.stdout).toMatch(new RegExp(`^Lifecycle pass at .+ on table keeper-${process.pid}:`));

    const imported = await npmRun(
      ['run', '-s', 'directory', '--', 'import', directoryFile, '--url', inMemory!.base],
      env,
    );
    expect(imported.status).toBe(0);
    expect(lines(imported.stderr)).toStrictEqual([
      `directory: npm start at ${inMemory!.base} (table memory-${process.pid})`,
    ]);
    expect(imported.stdout).toMatch(new RegExp(`^Imported .+ into memory-${process.pid} at http`));
  });

  it('once one stops, the helpers find the other by themselves', async () => {
    await inMemory!.stop();
    inMemory = undefined;
    const jwt = await npmRun(['run', '-s', 'dev-token', '--', 'olga'], env);
    expect(jwt.status).toBe(0);
    expect(payload(jwt.stdout)).toMatchObject({ iss: `${keeper.base}/oidc` });
    expect(lines(jwt.stderr)).toStrictEqual([
      `dev-token: olga signed in at ${keeper.base}/oidc (npm start at ${keeper.base})`,
    ]);
    // The one that kept no data took its events file with it.
    expect(readdirSync(state).filter((name) => name.startsWith('events.in-memory.'))).toStrictEqual([]);
  });

  it('the built-in provider gives a CI stand-in a job token for the API’s address, not a person’s', async () => {
    const answer = await fetch(`${keeper.base}/oidc/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'local-ci' }),
    });
    expect(answer.status).toBe(200);
    const { access_token: jwt } = (await answer.json()) as { access_token: string };
    expect(payload(jwt)).toMatchObject({ iss: `${keeper.base}/oidc`, aud: keeper.base, sub: 'local-ci' });
    const whoami = await fetch(`${keeper.base}/api/v1/auth/whoami`, { headers: { Authorization: `Bearer ${jwt}` } });
    expect(whoami.status).toBe(401);
  });
});
