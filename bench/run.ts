import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { devAccessToken } from '../infra/local/dev-token-client.js';
import { OIDC_PATH } from '../infra/local/oidc-provider.js';
import { startDynamoDbLocal } from '../infra/local/dynamodb-local.js';
import { PROJECT_ROOT } from '../infra/local/paths.js';
import { readConfig } from '../shared/kernel/config.js';
import { importDeps, importDirectory } from '../shared/directory/import.js';
import { createRuntime } from '../shared/runtime/runtime.js';
import { ensureTable } from '../shared/dynamodb/table.js';
import { measureColdStarts } from './cold-start.js';
import { measureLifecycle } from './lifecycle.js';
import { writeReports } from './report.js';
import { rotateToken } from '../shared/tokens/rotate-token.js';
import { createToken } from '../shared/tokens/create-token.js';
import { benchDirectory, LARGE, SMALL, seedTokens, TOKEN_LIMIT } from './fixture.js';
import { loadScenarios, measureScenarios, round2 } from './scenarios.js';
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
 */
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '10' },
    out: { type: 'string' },
    // Comma-separated scenario names: only those are measured (no traces, cold starts or lifecycle), to .out/.
    only: { type: 'string' },
  },
});
const only = args.only?.split(',').map((name) => name.trim());
// A smoke run must not overwrite the figures docs/performance.md quotes.
const partial = args.smoke ? 'bench/.out/results-smoke.json' : only && 'bench/.out/results-only.json';
const outFile = args.out ?? resolve(PROJECT_ROOT, partial || 'bench/results.json');
const smoke = args.smoke;
const duration = Number(args.duration ?? (smoke ? 1 : 5));
const rounds = Number(args.rounds ?? (smoke ? 1 : 3));
const connections = Number(args.connections);
const large = smoke ? { ...LARGE, tokens: 120 } : LARGE;

function startServer(mode: 'service' | 'floor', env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(PROJECT_ROOT, 'bench/server-process.ts'), mode], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolveStart, reject) => {
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
    child.on('message', (message: { type: string; url?: string }) => {
      if (message.type === 'ready') resolveStart({ child, url: message.url! });
    });
  });
}

async function main() {
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
  const runtime = createRuntime(readConfig(env));
  const children: ChildProcess[] = [];
  let closeIssuer = async (): Promise<void> => {};
  try {
    await ensureTable(runtime.documents, tableName);
    await importDirectory(importDeps(runtime), benchDirectory(), { replace: true });
    const store = runtime.tokens;
    const incarnationOf = async (account: string) => (await runtime.directory.getPrincipal(account))?.incarnation;
    const previous = await seedTokens(store, SMALL.account, SMALL.tokens, await incarnationOf(SMALL.account));
    // The first token rotated with a day's grace: its old secret and its new one both work,
    // through the same one read (the scenarios compare them).
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
    const subjectTokens = await ci.sign(smoke || (only && !only.includes('exchange')) ? 3_000 : 40_000);
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

    const scenarios = loadScenarios({
      service: service.url,
      floor: floor.url,
      token,
      restrictedToken,
      previous,
      federatedToken,
      jwt,
      jwtLarge,
      large,
      takeSubject,
    });

    const chosen = only ? scenarios.filter((scenario) => only.includes(scenario.name)) : scenarios;
    const results = await measureScenarios(chosen, { rounds, connections, duration });
    const ratioOf = (name: string, to: string) => {
      const [a, b] = [name, to].map((n) => results.find((r) => r.name === n)?.rps);
      return a === undefined || b === undefined ? null : round2(a / b);
    };
    const restriction = {
      description: 'the authorizer with a token of narrowed scopes and 20 networks against an unrestricted token',
      restrictedVsUnrestrictedRps: ratioOf('whoami-restricted-token', 'whoami-token'),
    };
    if (only) {
      mkdirSync(resolve(outFile, '..'), { recursive: true });
      writeFileSync(outFile, `${JSON.stringify({ settings: { duration, rounds }, results, restriction }, null, 2)}\n`);
      for (const r of results) console.log(`${r.name}: ${r.rps} rps, p50 ${r.p50Ms} ms (floor ${r.baselineRps})`);
      console.log(`restricted / unrestricted: ${restriction.restrictedVsUnrestrictedRps}; written to ${outFile}`);
      return;
    }

    service.child.send({ type: 'trace', requests: traceRequests({ jwt, traceToken, federatedToken, takeSubject }) });
    const traces = await new Promise<Trace[]>((resolveTraces) =>
      service.child.on(
        'message',
        (m: { type: string; traces?: never }) => m.type === 'traces' && resolveTraces(m.traces!),
      ),
    );
    const dynamodbCalls = dynamodbCallsOf(traces);

    service.child.send({ type: 'durations', requests: durationRequests(traceToken), repeat: smoke ? 20 : 500 });
    const durations = await new Promise<Record<string, Record<string, number>>>((resolveDurations) =>
      service.child.on(
        'message',
        (m: { type: string; durations?: never }) => m.type === 'durations' && resolveDurations(m.durations!),
      ),
    );

    const functions = await measureColdStarts({ runs: smoke ? 3 : 21 });

    // The lifecycle job: its reads against the tokens due, at two table sizes, and its floor.
    const lifecycleCases = [];
    for (const [tag, tokens] of [
      ['small', smoke ? 200 : 1_000],
      ['large', smoke ? 1_000 : 10_000],
    ] as const) {
      const measured = await measureLifecycle(runtime.documents, { tokens, due: 10, tag });
      if (measured.job.expiring !== 10 || measured.job.suspended !== 10)
        throw new Error(`lifecycle ${tag}: ${JSON.stringify(measured.job)}`);
      lifecycleCases.push(measured);
      console.error(
        `lifecycle ${tokens} tokens, 10+10 due: ${measured.job.queries} queries read ${measured.job.items} ` +
          `entries (${measured.job.capacityUnits} RCU; a scan: ${measured.scan.items} items, ` +
          `${measured.scan.capacityUnits} RCU), ${measured.job.ms} ms vs floor ${measured.floorMs} ms`,
      );
    }

    const rpsOf = (name: string) => results.find((r) => r.name === name)!.rps;
    const small = results.find((r) => r.name === 'list-tokens-jwt')!;
    const big = results.find((r) => r.name === 'list-tokens-jwt-large')!;
    const output = {
      generatedAt: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
      },
      settings: { smoke, durationSeconds: duration, rounds, connections },
      scenarios: results,
      rotation: {
        description:
          'the authorizer with a rotated token’s old secret (in its grace period) against the same token’s new secret',
        previousVsCurrentRps: round2(rpsOf('whoami-token-previous-secret') / rpsOf('whoami-token')),
      },
      restriction,
      scale: {
        description:
          `list a page of an account with ${large.tokens} tokens as a caller in ${large.groups} groups, against ` +
          `${SMALL.tokens} tokens and ${SMALL.groups} groups`,
        p50Ratio: round2(big.p50Ms / Math.max(small.p50Ms, 0.1)),
        rpsRatio: round2(small.rps / big.rps),
      },
      functions,
      dynamodbCalls,
      durations,
      lifecycle: {
        description:
          'one pass of the lifecycle job over a table of N tokens, 10 with a notice due and 10 unused for 90 ' +
          'days, against its floor (the same queries and writes through the store)',
        cases: lifecycleCases,
      },
      ...(await controlPlaneFigures(dynamodb.endpoint, smoke)),
    };
    mkdirSync(resolve(outFile, '..'), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(output, null, 2)}\n`);

    console.log('\nscenario                 rps      p50 ms   p99 ms   floor rps  ratio');
    for (const r of results) {
      console.log(
        `${r.name.padEnd(24)} ${String(r.rps).padStart(8)} ${String(r.p50Ms).padStart(8)} ` +
          `${String(r.p99Ms).padStart(8)} ${String(r.baselineRps).padStart(10)}  ${r.ratio}`,
      );
    }
    console.log(`scale (large / small): p50 ${output.scale.p50Ratio}x, throughput ${output.scale.rpsRatio}x`);
    console.log('\nfunction                          bundle KiB  init ms  baseline ms');
    for (const f of functions) {
      console.log(
        `${f.name.padEnd(33)} ${String(Math.round(f.bundleBytes / 1024)).padStart(10)} ` +
          `${String(f.initMs).padStart(8)} ${String(f.baselineInitMs).padStart(12)}`,
      );
    }
    console.log('\nendpoint                          DynamoDB calls  sequential');
    for (const d of dynamodbCalls)
      console.log(
        `${d.endpoint.padEnd(33)} ${String(d.calls).padStart(14)} ${String(d.sequentialRoundTrips).padStart(11)}`,
      );
    console.log(`\nwritten to ${outFile}`);
    if (!smoke && args.out === undefined) {
      writeReports(outFile);
      console.log('docs/performance.md rewritten from it');
    }
  } finally {
    for (const child of children) child.kill();
    await closeIssuer();
    await dynamodb.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
