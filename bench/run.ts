import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { devAccessToken } from '../infra/local/dev-token-client.js';
import { OIDC_PATH } from '../infra/local/oidc-provider.js';
import { checkJava, startDynamoDbLocal } from '../infra/local/dynamodb-local.js';
import { PROJECT_ROOT } from '../infra/local/paths.js';
import { readConfig } from '../shared/kernel/config.js';
import { importDeps, importDirectory } from '../shared/directory/import.js';
import { createRuntime } from '../shared/runtime/runtime.js';
import { ensureTable } from '../shared/dynamodb/table.js';
import { coldStartSettings, measureColdStarts } from './cold-start.js';
import { measureLifecycleCases } from './lifecycle.js';
import { writeReports } from './report.js';
import { rotateToken } from '../shared/tokens/rotate-token.js';
import { createToken } from '../shared/tokens/create-token.js';
import { benchDirectory, LARGE, onOwnDynamoDb, SMALL, seedTokens, TOKEN_LIMIT } from './fixture.js';
import { loadScenarios, measureScenarios, round2 } from './scenarios.js';
import { printSummary, ratioOf, scaleOf } from './summary.js';
import { durationRequests, dynamodbCallsOf, type Trace, traceRequests } from './traces.js';
import { benchPolicy, exchangeForm, startBenchIssuer } from './federation.js';
import { controlPlaneFigures } from './control-plane.js';

/**
 * `npm run bench`: our service against its floor (the same DynamoDB work behind a bare
 * `node:http` server), measured in the same run, in alternating rounds; cold starts of
 * every bundle against a bundle that only builds a DynamoDB client; and DynamoDB round
 * trips per endpoint. Writes bench/results.json and prints a table.
 *
 * `--smoke` runs every step briefly (CI keeps the script from rotting; no thresholds).
 *
 * What a full run does, in order; `--steps` picks some while iterating. Cold starts come
 * first, before DynamoDB Local and the servers start, so that nothing of the run's own
 * (a JVM and two servers that have just served a load) runs beside them.
 */
const STEPS = ['cold-start', 'load', 'traces', 'lifecycle', 'control-plane'];
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '10' },
    out: { type: 'string' },
    // While iterating: only these scenarios (comma-separated names), only these steps.
    scenarios: { type: 'string' },
    // Only these functions' cold starts (comma-separated ids).
    functions: { type: 'string' },
    steps: { type: 'string', default: STEPS.join(',') },
    // Each server writes a CPU profile of its load rounds (and the requests it served) to bench/.out/profiles.
    profile: { type: 'boolean', default: false },
    // DynamoDB's answers given again from memory in the load rounds: what the servers' own code costs.
    replay: { type: 'boolean', default: false },
  },
});
const steps = new Set(args.steps.split(','));
const partial =
  args.scenarios !== undefined || args.functions !== undefined || steps.size < STEPS.length || args.replay;
// Neither a smoke run nor a partial one may overwrite the figures docs/performance.md quotes.
const outFile =
  args.out ?? resolve(PROJECT_ROOT, args.smoke || partial ? 'bench/.out/results-partial.json' : 'bench/results.json');
const smoke = args.smoke;
// More, shorter rounds than one long one: the ratio is a median of pairs; a burst spoils one pair, not a side.
const duration = Number(args.duration ?? (smoke ? 1 : 3));
const rounds = Number(args.rounds ?? (smoke ? 1 : 5));
// The smoke run checks that every scenario runs, not its figures: no sustained warm-up.
const warmupSeconds = smoke ? 0 : 2;
const connections = Number(args.connections);
const large = smoke ? { ...LARGE, tokens: 120 } : LARGE;
const PROFILES = resolve(PROJECT_ROOT, 'bench/.out/profiles');
const runStarted = performance.now();

type Started = { child: ChildProcess; url: string; plumbing: string | undefined };
function startServer(mode: 'service' | 'floor', env: NodeJS.ProcessEnv): Promise<Started> {
  // Both, named by which they are: what ours adds shows against the floor's, under the same load.
  const profile = args.profile ? { BENCH_PROFILE_FILE: resolve(PROFILES, `${mode}.cpuprofile`) } : {};
  if (args.profile) mkdirSync(PROFILES, { recursive: true });
  const script = resolve(PROJECT_ROOT, 'bench/server-process.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, mode], {
    cwd: PROJECT_ROOT,
    env: { ...env, ...profile, ...(args.replay ? { BENCH_REPLAY: '1' } : {}) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolveStart, reject) => {
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
    child.on('message', (message: { type: string; url: string; plumbing?: string }) => {
      if (message.type === 'ready') resolveStart({ child, url: message.url, plumbing: message.plumbing });
    });
  });
}

/** Sends the service process a request and waits for its answer of type `answer`. */
function ask<T>(child: ChildProcess, message: object, answer: string): Promise<T> {
  return new Promise<T>((resolveAnswer) => {
    const listener = (m: { type: string } & Record<string, unknown>) => {
      if (m.type !== answer) return;
      child.off('message', listener);
      resolveAnswer(m[answer] as T);
    };
    child.on('message', listener);
    child.send(message);
  });
}

async function main() {
  // How long each step took: the whole run is meant to fit in ten minutes.
  const stepSeconds: Record<string, number> = {};
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T | undefined> => {
    if (!steps.has(step)) return undefined;
    const started = performance.now();
    try {
      return await work();
    } finally {
      stepSeconds[step] = Math.round((performance.now() - started) / 1000);
    }
  };
  // Java is checked before the minutes of cold starts, not after them.
  checkJava();
  const only = args.functions?.split(',');
  const functions = (await timed('cold-start', () => measureColdStarts({ ...coldStartSettings(smoke), only }))) ?? [];
  const dynamodb = await startDynamoDbLocal();
  const tableName = 'bench';
  const env = {
    ...process.env,
    DYNAMODB_ENDPOINT: dynamodb.endpoint,
    TABLE_NAME: tableName,
    TOKEN_LIMIT_PER_ACCOUNT: String(TOKEN_LIMIT),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // The scenarios' issuer is on loopback.
    FEDERATION_ALLOW_LOOPBACK_ISSUERS: 'true',
  };
  const children: ChildProcess[] = [];
  let closeIssuer = async (): Promise<void> => {};
  try {
    // Inside the try: a configuration the runtime refuses must not leave DynamoDB Local running.
    const runtime = createRuntime(readConfig(env));
    await ensureTable(runtime.documents, tableName);
    await importDirectory(importDeps(runtime), benchDirectory(), { replace: true });
    const store = runtime.tokens;
    const incarnationOf = async (account: string) => (await runtime.directory.getPrincipal(account))?.incarnation;
    const previous = await seedTokens(store, SMALL.account, SMALL.tokens, await incarnationOf(SMALL.account));
    // The first token rotated with a day's grace: its old and new secrets both work, through the same one read.
    const { token } = await rotateToken(runtime, {
      serviceAccountId: SMALL.account,
      name: 'seed-0000',
      gracePeriodSeconds: 86_400,
    });
    // Narrowed scopes and the most networks a token may have, loopback (where the load comes from) last.
    const networks = [...Array.from({ length: 18 }, (_, i) => `10.${i}.0.0/16`), '2001:db8::/32', '127.0.0.0/8'];
    const { token: restrictedToken } = await createToken(runtime, {
      serviceAccountId: SMALL.account,
      name: 'restricted',
      maxRps: null,
      expiresAt: null,
      createdBy: SMALL.caller,
      scopes: ['tokens:read'],
      allowedCidrs: networks,
      incarnation: await incarnationOf(SMALL.account),
    });
    const traceToken = await seedTokens(store, 'sa-bench-trace', 1, await incarnationOf('sa-bench-trace'));
    await seedTokens(store, large.account, large.tokens, await incarnationOf(large.account));
    console.error(
      `seeded: ${SMALL.tokens} + ${large.tokens} tokens, callers in ${SMALL.groups} and ${large.groups} groups`,
    );

    const ci = await startBenchIssuer();
    closeIssuer = ci.close;
    await benchPolicy(runtime, SMALL.account, ci.issuer);
    // One subject token per exchange (a jti is used once): enough for every round and the warm-up.
    const named = args.scenarios?.split(',');
    const exchanges = !smoke && (named === undefined || named.includes('exchange'));
    const subjectTokens = await ci.sign(exchanges ? 40_000 : 3_000);
    let nextSubject = 0;
    const takeSubject = () => {
      if (nextSubject >= subjectTokens.length) throw new Error('Out of subject tokens: sign more in bench/run.ts');
      return subjectTokens[nextSubject++]!;
    };

    const service = await startServer('service', env);
    const floor = await startServer('floor', env);
    children.push(service.child, floor.child);
    // Signed in at the service's own OpenID provider, as a person would be.
    const jwt = await devAccessToken(`${service.url}${OIDC_PATH}`, SMALL.caller);
    const jwtLarge = await devAccessToken(`${service.url}${OIDC_PATH}`, large.caller);
    // A token the exchange issued: its authorizer path is a stored token's (one read).
    const exchanged = await fetch(`${service.url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: exchangeForm(takeSubject(), SMALL.account),
    });
    const federatedToken = ((await exchanged.json()) as { access_token?: string }).access_token;
    if (!federatedToken) throw new Error(`The bench exchange answered ${exchanged.status}`);

    const cpuOf = (child: ChildProcess) => () => ask<number>(child, { type: 'cpu' }, 'cpu');
    const all = loadScenarios({
      service: service.url,
      plumbing: service.plumbing!,
      floor: floor.url,
      cpu: { service: cpuOf(service.child), floor: cpuOf(floor.child) },
      token,
      restrictedToken,
      previous,
      federatedToken,
      jwt,
      jwtLarge,
      large,
      takeSubject,
    });
    const scenarios = named ? all.filter((scenario) => named.includes(scenario.name)) : all;
    const results =
      (await timed('load', () => measureScenarios(scenarios, { rounds, connections, duration, warmupSeconds }))) ?? [];
    const traced = await timed('traces', async () => {
      // A load's last requests may still be in the service: their calls must not count as a trace's.
      await new Promise((settle) => setTimeout(settle, 1_000));
      const traceRequestList = traceRequests({ jwt, traceToken, previous, federatedToken, takeSubject });
      const traces = await ask<Trace[]>(service.child, { type: 'trace', requests: traceRequestList }, 'traces');
      const repeat = smoke ? 20 : 500;
      const durations = await ask<Record<string, Record<string, number>>>(
        service.child,
        { type: 'durations', requests: durationRequests(traceToken), repeat },
        'durations',
      );
      return { dynamodbCalls: dynamodbCallsOf(traces), durations };
    });
    const lifecycleCases =
      (await timed('lifecycle', () => onOwnDynamoDb((endpoint) => measureLifecycleCases(endpoint, smoke)))) ?? [];
    const controlPlane = await timed('control-plane', () =>
      onOwnDynamoDb((endpoint) => controlPlaneFigures(endpoint, smoke)),
    );

    const output = {
      generatedAt: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        // The load average when the run ended: a busy machine's figures are noisier.
        loadAverage: round2(loadavg()[0]!),
      },
      settings: {
        smoke,
        replay: args.replay, // DynamoDB's answers given again from memory: not the goals' figures
        // Some steps, scenarios or functions only: its seconds are not a whole run's.
        partial,
        durationSeconds: duration,
        warmupSeconds,
        rounds,
        connections,
        stepSeconds,
        // The whole run, setup included: the goal is ten minutes.
        totalSeconds: Math.round((performance.now() - runStarted) / 1000),
      },
      scenarios: results,
      rotation: {
        description:
          'the authorizer with a rotated token’s old secret (in its grace period) against the same token’s new secret',
        previousVsCurrentRps: ratioOf(results, 'whoami-token-previous-secret', 'whoami-token'),
      },
      restriction: {
        description: 'the authorizer with a token of narrowed scopes and 20 networks against an unrestricted token',
        restrictedVsUnrestrictedRps: ratioOf(results, 'whoami-restricted-token', 'whoami-token'),
      },
      scale: scaleOf(results, large),
      functions,
      dynamodbCalls: traced?.dynamodbCalls ?? [],
      durations: traced?.durations ?? {},
      lifecycle: {
        description:
          'one pass of the lifecycle job over a table of N tokens, 10 with a notice due and 10 unused for 90 ' +
          'days, against its floor (the same queries and writes through the store)',
        cases: lifecycleCases,
      },
      ...controlPlane,
    };
    mkdirSync(resolve(outFile, '..'), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(output, null, 2)}\n`);

    printSummary(output);
    console.log(`\nwritten to ${outFile}`);
    if (!smoke && !partial && args.out === undefined) {
      writeReports(outFile);
      console.log('docs/performance.md rewritten from it');
    }
  } finally {
    // Each server writes its profile as it ends: wait for that before the run is over.
    const ended = children.map((child) => child.exitCode ?? new Promise((done) => child.once('exit', done)));
    for (const child of children) child.kill();
    await Promise.all(ended);
    await closeIssuer();
    await dynamodb.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
