import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../infra/local/paths.js';
import { authorizer, callsApiGateway, entryOf, routes, scheduledFunctions, streamFunctions } from '../infra/routes.js';
import { API_GATEWAY_MODULE, esbuildOptions, LAMBDA_NODE_OPTIONS } from '../infra/cdk/bundling.js';

/**
 * Cold start of every function as the stack bundles it: bundle size, and the median
 * time a fresh Node process takes to import the bundle (which builds its clients),
 * against a baseline bundle that only builds the DynamoDB document client. Both SDK
 * choices are measured: bundled, and left to the runtime (resolved from node_modules
 * here, as the Lambda runtime resolves its own copy).
 */
const OUT = resolve(PROJECT_ROOT, 'bench/.out');
const BASELINE_SOURCE = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const handler = async () => client.config.region;`;

/**
 * Bundles as the stack does, the API Gateway SDK's own file included where the stack
 * adds it; answers the size of `index.mjs`, what every cold start loads.
 */
async function bundle(
  entry: string,
  outfile: string,
  bundleAwsSdk: boolean,
  withApiGatewayModule = false,
): Promise<number> {
  // Quieter than the stack: a table of 37 functions follows.
  const common = { ...esbuildOptions(bundleAwsSdk), logLevel: 'error' as const };
  if (withApiGatewayModule)
    await build({
      ...common,
      entryPoints: [resolve(PROJECT_ROOT, API_GATEWAY_MODULE.source)],
      outfile: join(dirname(outfile), API_GATEWAY_MODULE.file),
    });
  await build({
    ...common,
    entryPoints: [entry],
    outfile,
    external: [...common.external, API_GATEWAY_MODULE.importPath],
  });
  return statSync(outfile).size;
}

/** Milliseconds for a fresh process to import the bundle, once. */
function initOnce(file: string): number {
  const script =
    `const t=performance.now();await ` +
    `import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(performance.now()-t));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    // As in Lambda (so init builds the clients), minus the network: nothing is called.
    env: {
      PATH: process.env.PATH,
      AWS_LAMBDA_FUNCTION_NAME: 'cold-start',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'cold',
      AWS_SECRET_ACCESS_KEY: 'start',
      TABLE_NAME: 'cold-start',
      JWKS_URL: 'https://issuer.invalid/.well-known/jwks.json',
      JWT_ISSUER: 'https://issuer.invalid',
      JWT_AUDIENCE: 'cold-start',
      REST_API_ID: 'coldstart01',
      API_STAGE: 'v1',
      KEY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/cold-start-keys.fifo',
      EVENT_BUS_NAME: 'cold-start',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      // What the stack sets (infra/cdk/service-function.ts): its cost is part of init.
      NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
    },
  });
  if (run.status !== 0)
    throw new Error(`importing ${file} failed: ${run.stderr.trim().split('\n').slice(-12).join('\n')}`);
  return Number(run.stdout);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10;
};

/**
 * Medians of `runs` fresh imports of a bundle and of the baseline, taken in turn
 * (function, baseline, function, …) so that the machine's noise falls on both alike,
 * and the median of the ratios of each adjacent pair: what a moment of load slows, it
 * slows for both of a pair, so this ratio is the steadiest figure.
 */
function initPair(
  file: string,
  baseline: string,
  runs: number,
): { initMs: number; baselineInitMs: number; ratio: number } {
  const mine: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < runs; i++) {
    mine.push(initOnce(file));
    base.push(initOnce(baseline));
  }
  const ratios = mine.map((ms, i) => ms / base[i]!).sort((a, b) => a - b);
  return {
    initMs: median(mine),
    baselineInitMs: median(base),
    ratio: Math.round(ratios[Math.floor(ratios.length / 2)]! * 100) / 100,
  };
}

export interface ColdStart {
  name: string;
  bundleBytes: number;
  initMs: number;
  baselineInitMs: number;
  /** Median of the ratios of adjacent function/baseline pairs. */
  ratio: number;
  runtimeSdk: { bundleBytes: number; initMs: number; baselineInitMs: number; ratio: number };
}

/** Every function's cold start, or only those named in `only`. */
export async function measureColdStarts(options: { runs: number; only?: string[] }): Promise<ColdStart[]> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const baselineEntry = resolve(OUT, 'baseline.ts');
  writeFileSync(baselineEntry, BASELINE_SOURCE);
  const baseline = {
    bundled: resolve(OUT, 'bundled/baseline/index.mjs'),
    runtime: resolve(OUT, 'runtime/baseline/index.mjs'),
  };
  await bundle(baselineEntry, baseline.bundled, true);
  await bundle(baselineEntry, baseline.runtime, false);
  const ids = [
    authorizer.id,
    ...routes.map((r) => r.id),
    ...scheduledFunctions.map((f) => f.id),
    ...streamFunctions.map((f) => f.id),
  ].filter((id) => !options.only || options.only.includes(id));
  const results: ColdStart[] = [];
  for (const id of ids) {
    const entry = resolve(PROJECT_ROOT, entryOf(id));
    const bundled = resolve(OUT, `bundled/${id}/index.mjs`);
    const runtime = resolve(OUT, `runtime/${id}/index.mjs`);
    const bundledBytes = await bundle(entry, bundled, true, callsApiGateway(id));
    const runtimeBytes = await bundle(entry, runtime, false, callsApiGateway(id));
    results.push({
      name: id,
      bundleBytes: bundledBytes,
      ...initPair(bundled, baseline.bundled, options.runs),
      runtimeSdk: { bundleBytes: runtimeBytes, ...initPair(runtime, baseline.runtime, options.runs) },
    });
  }
  return results;
}
