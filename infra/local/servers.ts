import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { STATE_DIR } from './paths.js';

/**
 * The `npm start`s of this folder and what the helpers (`dev-token`, `lifecycle`,
 * `directory`) need to reach them. Each running instance announces itself in a file of its
 * own, named by its process id, so instances side by side never overwrite each other, and
 * one that stops takes only its own file away. Only one at a time may keep its data (and
 * audit events) in the state folder: it holds a claim on it, and a second one is refused.
 */
export interface RunningServer {
  url: string;
  /** The OpenID provider whose JWTs it trusts. */
  issuer: string;
  dynamodbEndpoint: string;
  tableName: string;
  pid: number;
  /** Its data and audit events are those kept in the state folder (it was not started `--in-memory`). */
  keepsData: boolean;
  eventsFile?: string;
}

const SERVERS_DIR = resolve(STATE_DIR, 'servers');
const DATA_CLAIM = resolve(STATE_DIR, 'data.pid');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Tells the helpers that this process serves `server`; the function returned takes it back. */
export function announceServer(server: RunningServer): () => void {
  mkdirSync(SERVERS_DIR, { recursive: true });
  const file = resolve(SERVERS_DIR, `${server.pid}.json`);
  writeFileSync(file, `${JSON.stringify(server, null, 2)}\n`);
  return () => rmSync(file, { force: true });
}

/** The instances running now, by address. An announcement left by a process that died is removed. */
export function runningServers(): RunningServer[] {
  let names: string[];
  try {
    names = readdirSync(SERVERS_DIR).filter((name) => /^\d+\.json$/.test(name));
  } catch {
    return [];
  }
  const servers: RunningServer[] = [];
  for (const name of names) {
    const file = resolve(SERVERS_DIR, name);
    let server: RunningServer;
    try {
      server = JSON.parse(readFileSync(file, 'utf8')) as RunningServer;
    } catch {
      // Being written, or removed since listed.
      continue;
    }
    if (alive(server.pid)) servers.push(server);
    else rmSync(file, { force: true });
  }
  return servers.sort((a, b) => a.url.localeCompare(b.url));
}

/**
 * Claims the state folder's data for this process, atomically (an exclusive create), so that
 * two instances starting at once cannot both keep their data there. Answers the holder's
 * process id when another live process holds it; a claim left by a process that died is
 * taken over. The function returned gives the claim up.
 */
export function claimData(): { release: () => void } | { heldBy: number } {
  mkdirSync(STATE_DIR, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(DATA_CLAIM, String(process.pid), { flag: 'wx' });
      const release = () => {
        if (readFileSync(DATA_CLAIM, 'utf8') === String(process.pid)) rmSync(DATA_CLAIM, { force: true });
      };
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(DATA_CLAIM, 'utf8'));
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) return { heldBy: holder };
    rmSync(DATA_CLAIM, { force: true });
  }
  throw new Error(`Could not claim ${DATA_CLAIM}: another npm start is claiming it at the same moment`);
}

/** Where an instance that keeps no data writes its audit events: a file of its own, removed when it stops. */
export function inMemoryEventsFile(pid = process.pid): string {
  return resolve(STATE_DIR, `events.in-memory.${pid}.jsonl`);
}

/** Removes the event files of in-memory instances that died without removing them. */
export function pruneInMemoryEvents(): void {
  let names: string[];
  try {
    names = readdirSync(STATE_DIR);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^events\.in-memory\.(\d+)\.jsonl(?:\.checkpoint\.json)?$/.exec(name)?.[1];
    if (pid && !alive(Number(pid))) rmSync(resolve(STATE_DIR, name), { force: true });
  }
}

/** Why a helper cannot reach a server, said in one line. */
export class NoServerError extends Error {
  override name = 'NoServerError';
}

/** The origin of an `npm start`'s address, as the helpers compare them. */
export function serverOrigin(url: string): string {
  const parsed = URL.parse(url);
  if (!parsed || !/^https?:$/.test(parsed.protocol))
    throw new NoServerError(`--url must be the address npm start printed, such as http://127.0.0.1:3000; got "${url}"`);
  // npm start listens on 127.0.0.1, which `localhost` names too.
  if (parsed.hostname === 'localhost') parsed.hostname = '127.0.0.1';
  return parsed.origin;
}

/**
 * The instance a helper talks to: the one at `url` when given, else the only one running.
 * None, or several without `url`, is refused in one line that says what to do.
 */
export function chooseServer(url?: string, servers = runningServers()): RunningServer {
  const listed = servers.map((server) => server.url).join(', ');
  if (url !== undefined) {
    const wanted = serverOrigin(url);
    const found = servers.find((server) => serverOrigin(server.url) === wanted);
    if (found) return found;
    const others = servers.length === 0 ? 'none is running here' : `running here: ${listed}`;
    throw new NoServerError(`no npm start of this folder is running at ${wanted} (${others})`);
  }
  if (servers.length === 1) return servers[0]!;
  if (servers.length === 0)
    throw new NoServerError('no npm start is running in this folder: start one (npm start), or name one with --url');
  throw new NoServerError(`${servers.length} npm starts are running in this folder (${listed}): name one with --url`);
}
