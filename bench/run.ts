import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { devAccessToken } from '../infra/local/dev-token-client.js';
import { OIDC_PATH } from '../infra/local/oidc-provider.js';
import { startDynamoDbLocal } from '../infra/local/dynamodb-local.js';
import { PROJECT_ROOT } from '../infra/local/paths.js';
import { readConfig } from '../shared/kernel/config.js';
import { importDeps, importDirectory } from '../shared/directory/import.js';
import { createRuntime } from '../shared/runtime/runtime.js';
import { ensureTable } from '../shared/dynamodb/table.js';
import { encodeCursor } from '../shared/http/cursor.js';
import { measureColdStarts } from './cold-start.js';
import { measureLifecycle } from './lifecycle.js';
import { writeReports } from './report.js';
import { tokenServiceDeps } from '../shared/tokens/deps.js';
import { rotateToken } from '../shared/tokens/rotate-token.js';
import { benchDirectory, LARGE, SMALL, seedTokens, TOKEN_LIMIT } from './fixture.js';
import type { TraceRequest } from './server-process.js';
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
  },
});
// A smoke run must not overwrite the figures the README quotes.
const outFile = args.out ?? resolve(PROJECT_ROOT, args.smoke ? 'bench/.out/results-smoke.json' : 'bench/results.json');
const smoke = args.smoke;
const duration = Number(args.duration ?? (smoke ? 1 : 5));
const rounds = Number(args.rounds ?? (smoke ? 1 : 3));
const connections = Number(args.connections);
const large = smoke ? { ...LARGE, tokens: 120 } : LARGE;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

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

interface Load {
  url: string;
  requests: autocannon.Request[];
}

async function load(target: Load) {
  const result = await autocannon({ url: target.url, connections, duration, requests: target.requests });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
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
    const { token } = await rotateToken(tokenServiceDeps(runtime), {
      serviceAccountId: SMALL.account,
      name: 'seed-0000',
      gracePeriodSeconds: 86_400,
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
    const subjectTokens = await ci.sign(smoke ? 3_000 : 40_000);
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
    const listPath = (account: string) => `/api/v1/domains/bench/auth/service-accounts/${account}/tokens`;
    // A token the exchange issued: its authorizer path is a stored token's (one read).
    const exchanged = await fetch(`${service.url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: exchangeForm(takeSubject(), SMALL.account),
    });
    const federatedToken = ((await exchanged.json()) as { access_token?: string }).access_token;
    if (!federatedToken) throw new Error(`The bench exchange answered ${exchanged.status}`);
    const middle = `seed-${String(Math.floor(large.tokens / 2) - 1).padStart(4, '0')}`;

    let cycle = 0;
    const nextName = (context: object) => ((context as { name?: string }).name = `cycle-${process.pid}-${cycle++}`);
    const nameOf = (context: object) => (context as { name?: string }).name;
    const scenarios: { name: string; service: Load; floor: Load }[] = [
      {
        name: 'whoami-token',
        service: {
          url: service.url,
          requests: [{ method: 'GET', path: '/api/v1/auth/whoami', headers: { 'x-api-token': token } }],
        },
        floor: { url: floor.url, requests: [{ method: 'GET', path: '/whoami', headers: { 'x-api-token': token } }] },
      },
      {
        name: 'whoami-token-previous-secret',
        service: {
          url: service.url,
          requests: [{ method: 'GET', path: '/api/v1/auth/whoami', headers: { 'x-api-token': previous } }],
        },
        floor: { url: floor.url, requests: [{ method: 'GET', path: '/whoami', headers: { 'x-api-token': previous } }] },
      },
      {
        name: 'whoami-federated-token',
        service: {
          url: service.url,
          requests: [{ method: 'GET', path: '/api/v1/auth/whoami', headers: { 'x-api-token': federatedToken } }],
        },
        floor: {
          url: floor.url,
          requests: [{ method: 'GET', path: '/whoami', headers: { 'x-api-token': federatedToken } }],
        },
      },
      {
        // The issuer's keys cached (the warm-up fetched them): what every exchange but a container's first costs.
        name: 'exchange',
        service: {
          url: service.url,
          requests: [
            {
              method: 'POST',
              path: '/api/v1/auth/token',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              setupRequest: (request) => ({ ...request, body: exchangeForm(takeSubject(), SMALL.account) }),
            },
          ],
        },
        floor: { url: floor.url, requests: [{ method: 'POST', path: `/exchange?account=${SMALL.account}` }] },
      },
      {
        name: 'list-token-events',
        service: {
          url: service.url,
          requests: [
            {
              method: 'GET',
              path: `/api/v1/domains/bench/auth/service-accounts/${SMALL.account}/token-events`,
              headers: { authorization: `Bearer ${jwt}` },
            },
          ],
        },
        floor: {
          url: floor.url,
          requests: [{ method: 'GET', path: `/events?caller=${SMALL.caller}&account=${SMALL.account}` }],
        },
      },
      {
        name: 'list-tokens-jwt',
        service: {
          url: service.url,
          requests: [{ method: 'GET', path: listPath(SMALL.account), headers: { authorization: `Bearer ${jwt}` } }],
        },
        floor: {
          url: floor.url,
          requests: [{ method: 'GET', path: `/list?caller=${SMALL.caller}&account=${SMALL.account}` }],
        },
      },
      {
        name: 'list-tokens-jwt-large',
        service: {
          url: service.url,
          requests: [
            {
              method: 'GET',
              path: `${listPath(large.account)}?nextToken=${encodeCursor(middle)}`,
              headers: { authorization: `Bearer ${jwtLarge}` },
            },
          ],
        },
        floor: {
          url: floor.url,
          requests: [{ method: 'GET', path: `/list?caller=${large.caller}&account=${large.account}&after=${middle}` }],
        },
      },
      {
        name: 'create-delete-cycle',
        service: {
          url: service.url,
          requests: [
            {
              method: 'POST',
              path: listPath(SMALL.account),
              headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
              setupRequest: (request, context) => ({ ...request, body: JSON.stringify({ name: nextName(context) }) }),
            },
            {
              method: 'DELETE',
              headers: { authorization: `Bearer ${jwt}` },
              setupRequest: (request, context) => ({
                ...request,
                path: `${listPath(SMALL.account)}/${nameOf(context)}`,
              }),
            },
          ],
        },
        floor: {
          url: floor.url,
          requests: [
            {
              method: 'POST',
              setupRequest: (request, context) => ({
                ...request,
                path: `/create?caller=${SMALL.caller}&account=${SMALL.account}&name=${nextName(context)}`,
              }),
            },
            {
              method: 'DELETE',
              setupRequest: (request, context) => ({
                ...request,
                path: `/delete?caller=${SMALL.caller}&account=${SMALL.account}&name=${nameOf(context)}`,
              }),
            },
          ],
        },
      },
    ];

    // Warm both: JWKS fetch, module loading and JIT are not what is measured.
    for (const scenario of scenarios) {
      for (const target of [scenario.service, scenario.floor]) {
        await autocannon({ url: target.url, connections: 2, amount: 40, requests: target.requests });
      }
    }

    const results = [];
    for (const scenario of scenarios) {
      const ours = [];
      const floors = [];
      for (let round = 0; round < rounds; round++) {
        floors.push(await load(scenario.floor));
        ours.push(await load(scenario.service));
      }
      const errors = [...ours, ...floors].reduce((sum, r) => sum + r.errors, 0);
      const rps = median(ours.map((r) => r.rps));
      const baselineRps = median(floors.map((r) => r.rps));
      results.push({
        name: scenario.name,
        rps: round1(rps),
        p50Ms: round1(median(ours.map((r) => r.p50))),
        p99Ms: round1(median(ours.map((r) => r.p99))),
        baselineRps: round1(baselineRps),
        ratio: round2(rps / baselineRps),
        errors,
      });
      console.error(
        `${scenario.name}: ${round1(rps)} rps vs floor ${round1(baselineRps)} ` +
          `(${round2(rps / baselineRps)}x)${errors ? `, ${errors} errors` : ''}`,
      );
    }

    const traceRequests: TraceRequest[] = [
      { name: 'warm-up', method: 'GET', path: listPath(SMALL.account), headers: { authorization: `Bearer ${jwt}` } },
      // Twice: the first use in a minute also records lastUsedAt; the second is every other call.
      {
        name: 'whoami-token-first-use',
        method: 'GET',
        path: '/api/v1/auth/whoami',
        headers: { 'x-api-token': traceToken },
      },
      { name: 'whoami-token', method: 'GET', path: '/api/v1/auth/whoami', headers: { 'x-api-token': traceToken } },
      { name: 'whoami-jwt', method: 'GET', path: '/api/v1/auth/whoami', headers: { authorization: `Bearer ${jwt}` } },
      {
        name: 'whoami-federated-token',
        method: 'GET',
        path: '/api/v1/auth/whoami',
        headers: { 'x-api-token': federatedToken },
      },
      {
        name: 'exchange',
        method: 'POST',
        path: '/api/v1/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: exchangeForm(takeSubject(), SMALL.account),
      },
      {
        name: 'list-domain-tokens',
        method: 'GET',
        path: listPath(SMALL.account),
        headers: { authorization: `Bearer ${jwt}` },
      },
      {
        name: 'list-admin-tokens',
        method: 'GET',
        path: `/api/v1/auth/service-accounts/${SMALL.account}/tokens`,
        headers: { authorization: `Bearer ${jwt}` },
      },
      ...(['domain', 'admin'] as const).flatMap((scope): TraceRequest[] => {
        const base =
          scope === 'domain' ? listPath(SMALL.account) : `/api/v1/auth/service-accounts/${SMALL.account}/tokens`;
        const headers = { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' };
        return [
          {
            name: `create-${scope}-token`,
            method: 'POST',
            path: base,
            headers,
            body: JSON.stringify({ name: `trace-${scope}` }),
          },
          {
            name: `update-${scope}-token`,
            method: 'PATCH',
            path: `${base}/trace-${scope}`,
            headers,
            body: JSON.stringify({ maxRps: 9 }),
          },
          { name: `delete-${scope}-token`, method: 'DELETE', path: `${base}/trace-${scope}`, headers },
          {
            name: `create-${scope}-token-deprecated`,
            method: 'POST',
            path:
              scope === 'domain'
                ? '/api/v1/domains/bench/auth/service-accounts/tokens'
                : '/api/v1/auth/service-accounts/tokens',
            headers,
            body: JSON.stringify({ name: `trace-${scope}-old`, serviceAccountId: SMALL.account }),
          },
        ];
      }),
    ];
    service.child.send({ type: 'trace', requests: traceRequests });
    const traces = await new Promise<
      {
        name: string;
        status: number;
        phases: { phase: string; calls: number; sequentialRoundTrips: number; commands: string[] }[];
      }[]
    >((resolveTraces) =>
      service.child.on(
        'message',
        (m: { type: string; traces?: never }) => m.type === 'traces' && resolveTraces(m.traces!),
      ),
    );
    const dynamodbCalls: { endpoint: string; calls: number; sequentialRoundTrips: number; commands: string[] }[] = [];
    for (const trace of traces.slice(1)) {
      if (trace.status >= 300) throw new Error(`trace ${trace.name} answered ${trace.status}`);
      for (const phase of trace.phases) {
        const endpoint =
          phase.phase !== 'authorizer'
            ? phase.phase
            : trace.name === 'whoami-token-first-use'
              ? 'authorizer (access token, first use in a minute: + lastUsedAt)'
              : trace.name === 'whoami-federated-token'
                ? 'authorizer (federated token)'
                : `authorizer (${trace.name === 'whoami-token' ? 'access token' : 'JWT'})`;
        if (dynamodbCalls.some((row) => row.endpoint === endpoint)) continue;
        dynamodbCalls.push({
          endpoint,
          calls: phase.calls,
          sequentialRoundTrips: phase.sequentialRoundTrips,
          commands: phase.commands,
        });
      }
    }
    if (!dynamodbCalls.some((row) => row.endpoint === 'authorizer (JWT)')) {
      dynamodbCalls.push({ endpoint: 'authorizer (JWT)', calls: 0, sequentialRoundTrips: 0, commands: [] });
    }

    // Warm durations of a token-authenticated call, for the cost model (bench/cost-model.ts).
    const durationRequests: TraceRequest[] = [
      { name: 'whoami-token', method: 'GET', path: '/api/v1/auth/whoami', headers: { 'x-api-token': traceToken } },
    ];
    service.child.send({ type: 'durations', requests: durationRequests, repeat: smoke ? 20 : 500 });
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
      console.log('README.md and docs/performance.md rewritten from it');
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
