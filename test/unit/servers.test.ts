import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

/**
 * How the helpers find the npm starts of a folder (infra/local/servers.ts), on a state
 * folder of this file's own: announcements, the claim on the data, and the choice of a
 * server, with live processes (this one) and dead ones (a process that has exited).
 */
const state = mkdtempSync(join(tmpdir(), 'sat-servers-'));
const runState = process.env.LOCAL_STATE_DIR;
process.env.LOCAL_STATE_DIR = state;
const servers = await import('../../infra/local/servers.js');
const { tableTarget, describeTarget } = await import('../../infra/local/running.js');
const { readConfig } = await import('../../shared/kernel/config.js');
// The modules read it as they loaded; the rest of the run keeps its own.
if (runState === undefined) delete process.env.LOCAL_STATE_DIR;
else process.env.LOCAL_STATE_DIR = runState;

/** The id of a process that has exited: nothing runs under it now. */
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
const server = (port: number, pid: number, keepsData = false) => ({
  url: `http://127.0.0.1:${port}`,
  issuer: `http://127.0.0.1:${port}/oidc`,
  dynamodbEndpoint: `http://127.0.0.1:${port + 1}`,
  tableName: `table-${port}`,
  pid,
  keepsData,
});

describe('announcements', () => {
  it('list the live servers by address, and remove what a dead process left', () => {
    expect(servers.runningServers()).toStrictEqual([]);
    const withdraw = servers.announceServer(server(3001, process.pid));
    mkdirSync(join(state, 'servers'), { recursive: true });
    writeFileSync(join(state, 'servers', `${deadPid}.json`), JSON.stringify(server(3002, deadPid)));
    writeFileSync(join(state, 'servers', 'notes.txt'), 'not an announcement');
    writeFileSync(join(state, 'servers', '1.json'), '{"half": ');
    expect(servers.runningServers()).toStrictEqual([server(3001, process.pid)]);
    expect(existsSync(join(state, 'servers', `${deadPid}.json`))).toBe(false);
    withdraw();
    expect(servers.runningServers()).toStrictEqual([]);
  });
});

describe('choosing a server', () => {
  const [a, b] = [server(3000, 1), server(3005, 2)];

  it('takes the only one, or the one --url names (localhost being 127.0.0.1)', () => {
    expect(servers.chooseServer(undefined, [a])).toBe(a);
    expect(servers.chooseServer('http://localhost:3005/console/', [a, b])).toBe(b);
  });

  it('refuses none, a guess between several, an address nobody serves, and no address at all', () => {
    const refusal = (url: string | undefined, among: (typeof a)[]) => {
      try {
        servers.chooseServer(url, among);
      } catch (error) {
        return [(error as Error).name, (error as Error).message];
      }
      return undefined;
    };
    expect(refusal(undefined, [])).toStrictEqual([
      'NoServerError',
      'no npm start is running in this folder: start one (npm start), or name one with --url',
    ]);
    expect(refusal(undefined, [a, b])?.[1]).toBe(
      '2 npm starts are running in this folder (http://127.0.0.1:3000, http://127.0.0.1:3005): name one with --url',
    );
    expect(refusal('http://127.0.0.1:4000', [a])?.[1]).toBe(
      'no npm start of this folder is running at http://127.0.0.1:4000 (running here: http://127.0.0.1:3000)',
    );
    expect(refusal('127.0.0.1:3000', [a])?.[1]).toMatch(/^--url must be the address npm start printed/);
  });
});

describe('the table a tool works on', () => {
  it('is the configured one when DYNAMODB_ENDPOINT or AWS_REGION says so, else the npm start', () => {
    const withdraw = servers.announceServer(server(3001, process.pid));
    try {
      expect(tableTarget({ AWS_REGION: 'eu-west-1', TABLE_NAME: 't' })).toStrictEqual({
        env: { AWS_REGION: 'eu-west-1', TABLE_NAME: 't' },
      });
      const local = tableTarget({ TABLE_NAME: 'ignored' });
      expect(local.env).toStrictEqual({ TABLE_NAME: 'table-3001', DYNAMODB_ENDPOINT: 'http://127.0.0.1:3002' });
      // --url wins over the configuration: it names a server.
      expect(tableTarget({ AWS_REGION: 'eu-west-1' }, 'http://127.0.0.1:3001').server?.url).toBe(
        'http://127.0.0.1:3001',
      );
      expect(describeTarget('lifecycle', readConfig(local.env), local.server)).toBe(
        'lifecycle: npm start at http://127.0.0.1:3001 (table table-3001)',
      );
      expect(describeTarget('directory', readConfig({ AWS_REGION: 'eu-west-1', TABLE_NAME: 't' }))).toBe(
        'directory: table t in AWS, region eu-west-1',
      );
    } finally {
      withdraw();
    }
  });
});

describe('the claim on the data', () => {
  it('is one process’s at a time, taken over from a dead one, and given up by its holder only', () => {
    const claim = join(state, 'data.pid');
    writeFileSync(claim, String(process.ppid));
    // The parent process (jest's) is alive: it holds the claim.
    expect(servers.claimData()).toStrictEqual({ heldBy: process.ppid });
    writeFileSync(claim, String(deadPid));
    const mine = servers.claimData();
    expect('release' in mine).toBe(true);
    expect(readFileSync(claim, 'utf8')).toBe(String(process.pid));
    expect(servers.claimData()).toStrictEqual({ heldBy: process.pid });
    if ('release' in mine) mine.release();
    expect(existsSync(claim)).toBe(false);
  });
});

describe('the events of in-memory servers', () => {
  it('have a file per process, and those of dead processes are removed', () => {
    expect(servers.inMemoryEventsFile()).toBe(join(state, `events.in-memory.${process.pid}.jsonl`));
    for (const name of [
      `events.in-memory.${process.pid}.jsonl`,
      `events.in-memory.${deadPid}.jsonl`,
      `events.in-memory.${deadPid}.jsonl.checkpoint.json`,
      'events.jsonl',
    ])
      writeFileSync(join(state, name), '');
    servers.pruneInMemoryEvents();
    expect(
      readdirSync(state)
        .filter((name) => name.startsWith('events.'))
        .sort(),
    ).toStrictEqual([`events.in-memory.${process.pid}.jsonl`, 'events.jsonl']);
  });
});
