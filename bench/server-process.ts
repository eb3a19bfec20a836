import { AsyncLocalStorage } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import { Session } from 'node:inspector/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalService } from '../infra/local/service.js';
import { benchDirectory } from './fixture.js';
import { startFloor } from './floor.js';
import { startPlumbing } from './plumbing.js';
import { replayer, type Send } from './replay.js';

/**
 * One server of the benchmark, in its own process so that the load generator and the
 * two servers never share an event loop: `service` (the local gateway with the real
 * authorizer and handlers) or `floor`. Answers IPC: its port, and DynamoDB call
 * traces of single requests.
 */
export interface TraceRequest {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface Call {
  phase: string;
  command: string;
  start: number;
  end: number;
}

const mode = process.argv[2];
const phase = new AsyncLocalStorage<string>();
const calls: Call[] = [];
let recording = false;
/** Handler durations by function, while `timing` is on (warm invocations, in process). */
const timings: { phase: string; ms: number }[] = [];
let timing = false;

// Every DynamoDB call of the process passes here: the document client and the raw client
// share the SDK's base client class, whose send() this wraps.
const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: Send };
const send = base.send;
// `--replay` (bench/replay.ts), from the first load round on.
let replaying = false;
const replay = replayer(send);
base.send = function patched(this: unknown, command: object, ...rest: unknown[]) {
  if (replaying) return replay(this, command, rest);
  if (!recording) return send.call(this, command, ...rest);
  const call: Call = {
    phase: phase.getStore() ?? 'other',
    command: command.constructor.name,
    start: performance.now(),
    end: 0,
  };
  calls.push(call);
  const result = send.call(this, command, ...rest);
  return result.finally(() => (call.end = performance.now()));
};

/** Longest chain of calls that ran one after another: the round trips a caller waits for. */
export function sequentialDepth(list: Call[]): number {
  const sorted = [...list].sort((a, b) => a.start - b.start);
  const chain: number[] = [];
  sorted.forEach((call, i) => {
    let best = 0;
    for (let j = 0; j < i; j++) if (sorted[j]!.end <= call.start) best = Math.max(best, chain[j]!);
    chain[i] = best + 1;
  });
  return Math.max(0, ...chain);
}

/**
 * `--profile`: this process's CPU profile from the first load round it serves to its end,
 * written to BENCH_PROFILE_FILE with the number of requests it served meanwhile
 * (`requests`), so that a profile divides into a request's share exactly: the start-up
 * (the service imports the directory; the floor does not) stays out of it.
 */
const profileFile = process.env.BENCH_PROFILE_FILE;
let profiler: Session | undefined;
let served = 0;
// Counted only in a run that profiles: the servers' every event passes here.
if (profileFile) {
  const emit = Server.prototype.emit;
  Server.prototype.emit = function counted(this: Server, event: string | symbol, ...rest: unknown[]) {
    if (event === 'request' && profiler) served += 1;
    return Reflect.apply(emit, this, [event, ...rest]) as boolean;
  };
}

async function startProfile(): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  profiler = session;
}

async function writeProfile(): Promise<void> {
  if (!profiler || !profileFile) return;
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(profileFile, JSON.stringify({ ...profile, requests: served }));
}

async function main() {
  const tableName = process.env.TABLE_NAME!;
  let url: string;
  // The service's process also serves the plumbing (bench/plumbing.ts), on a port of its own.
  let plumbing: string | undefined;
  if (mode === 'floor') {
    url = `http://127.0.0.1:${(await startFloor(tableName, process.env.DYNAMODB_ENDPOINT!)).port}`;
  } else {
    const service = await startLocalService({
      port: 0,
      directory: benchDirectory(),
      dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT!,
      tableName,
      env: process.env,
      // The exchange's method throttle (50 rps) would answer most of a run with 429s.
      throttleRoutes: false,
      // Only while tracing or timing: the load rounds measure the service as it runs,
      // with nothing of the harness around it.
      around: (functionId, invoke) =>
        !recording && !timing
          ? invoke()
          : phase.run(functionId, async () => {
              const started = performance.now();
              try {
                return await invoke();
              } finally {
                if (timing) timings.push({ phase: functionId, ms: performance.now() - started });
              }
            }),
    });
    url = service.url;
    plumbing = (await startPlumbing(service.runtime)).url;
  }
  process.on('message', async (message: { type: string; requests?: TraceRequest[]; repeat?: number }) => {
    // The CPU time this process has used, ms: per request, the work a server does whatever its neighbours do.
    if (message.type === 'cpu') {
      // A load round begins (or ends): the profile, and a replay, start with the first.
      if (profileFile && !profiler) await startProfile();
      replaying = process.env.BENCH_REPLAY === '1';
      const { user, system } = process.cpuUsage();
      process.send!({ type: 'cpu', cpu: (user + system) / 1000 });
      return;
    }
    if (message.type === 'durations' && message.requests) {
      process.send!({ type: 'durations', durations: await durations(url, message.requests, message.repeat ?? 200) });
      return;
    }
    if (message.type !== 'trace' || !message.requests) return;
    const traces = [];
    // In order, each once: the caller puts warm-up requests first and a create before the
    // update and delete of the same token.
    for (const request of message.requests) {
      calls.length = 0;
      recording = true;
      const response = await fetch(`${url}${request.path}`, {
        method: request.method,
        headers: request.headers,
        ...(request.body ? { body: request.body } : {}),
      });
      await response.text();
      recording = false;
      const phases = [...new Set(calls.map((c) => c.phase))];
      traces.push({
        name: request.name,
        status: response.status,
        phases: phases.map((p) => {
          const mine = calls.filter((c) => c.phase === p);
          return {
            phase: p,
            calls: mine.length,
            sequentialRoundTrips: sequentialDepth(mine),
            commands: mine.map((c) => c.command),
          };
        }),
      });
    }
    process.send!({ type: 'traces', traces });
  });
  process.send!({ type: 'ready', url, plumbing });
}

/**
 * Median warm duration of each function a request passes through, over `repeat`
 * sequential requests: what Lambda would bill, minus its own overhead, on this machine.
 */
async function durations(
  url: string,
  requests: TraceRequest[],
  repeat: number,
): Promise<Record<string, Record<string, number>>> {
  const result: Record<string, Record<string, number>> = {};
  for (const request of requests) {
    timings.length = 0;
    timing = true;
    for (let i = 0; i < repeat; i++) {
      const response = await fetch(`${url}${request.path}`, {
        method: request.method,
        headers: request.headers,
        ...(request.body ? { body: request.body } : {}),
      });
      await response.text();
    }
    timing = false;
    result[request.name] = {};
    for (const name of new Set(timings.map((entry) => entry.phase))) {
      const sorted = timings
        .filter((entry) => entry.phase === name)
        .map((entry) => entry.ms)
        .sort((a, b) => a - b);
      result[request.name]![name] = Math.round(sorted[Math.floor(sorted.length / 2)]! * 100) / 100;
    }
  }
  return result;
}

// Killed at the end of a run: the profile, if one is being taken, is written first.
process.on('SIGTERM', () => {
  writeProfile().finally(() => process.exit(0));
});

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
