import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { PROJECT_ROOT } from '../infra/local/paths.js';
import { authorizer, entryOf, queueFunctions, routes, scheduledFunctions, streamFunctions } from '../infra/routes.js';
import { credentialChainBuild, esbuildOptions, finishBundles, sdkModuleEntries } from '../infra/cdk/bundling.js';
import { median, middleMean, quartiles, standardError } from './stats.js';

/**
 * Cold start of every function as the stack bundles it: bundle size, and the median
 * time a fresh Node process takes to import the bundle (which builds its clients),
 * against a baseline bundle that only builds the DynamoDB document client. Both SDK
 * choices are measured: bundled, and left to the runtime (resolved from node_modules
 * here, as the Lambda runtime resolves its own copy).
 */
const OUT = resolve(PROJECT_ROOT, 'bench/.out/cold-start');
const BASELINE_SOURCE = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const handler = async () => client.config.region;`;

/** What a bundle is made of: bytes in `index.mjs` by package (or by folder of ours), largest first. */
type BundleContents = { from: string; bytes: number }[];

function contentsOf(metafile: Metafile, outfile: string): BundleContents {
  const output = Object.entries(metafile.outputs).find(([path]) => resolve(PROJECT_ROOT, path) === outfile)?.[1];
  const groups = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const from = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 2).join('/');
    groups.set(from, (groups.get(from) ?? 0) + bytesInOutput);
  }
  return [...groups].map(([from, bytes]) => ({ from, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/**
 * Bundles as the stack does, every entry of `entries` (id to source) to `<outdir>/<id>/index.mjs`
 * in one esbuild run, as the stack's synthesis builds them (each output byte for byte what a
 * build of its own makes), with the files loaded on first use (`SDK_MODULES`: API Gateway's
 * and SQS's SDKs, jose, the credential chain) beside the bundles that import them; answers
 * each `index.mjs`'s size, what every cold start loads, and its contents.
 */
async function bundle(
  entries: Record<string, string>,
  outdir: string,
  bundleAwsSdk: boolean,
): Promise<Map<string, { bytes: number; contents: BundleContents }>> {
  // Quieter than the stack: a table of every function follows.
  const common = { ...esbuildOptions(bundleAwsSdk), logLevel: 'error' as const };
  const { metafile } = await build({
    ...common,
    entryPoints: {
      ...Object.fromEntries(Object.entries(entries).map(([id, entry]) => [`${id}/index`, entry])),
      // The SDK files loaded on first use, in the same run, placed beside the bundles that import them.
      ...sdkModuleEntries(PROJECT_ROOT, 'sdk-modules'),
    },
    outdir,
    outExtension: { '.js': '.mjs' },
    metafile: true,
  });
  if (bundleAwsSdk) await build({ ...credentialChainBuild(PROJECT_ROOT, outdir, 'sdk-modules'), logLevel: 'error' });
  const folders = Object.keys(entries).map((id) => join(outdir, id));
  finishBundles(PROJECT_ROOT, join(outdir, 'sdk-modules'), folders);
  const bundles = new Map<string, { bytes: number; contents: BundleContents }>();
  for (const id of Object.keys(entries)) {
    const outfile = join(outdir, id, 'index.mjs');
    bundles.set(id, { bytes: statSync(outfile).size, contents: contentsOf(metafile, outfile) });
  }
  return bundles;
}

/**
 * How each import runs: pinned to the machine's last core at real-time priority
 * (`taskset`, `chrt`), where the system allows it, so that the neighbours' processes
 * neither preempt it nor share its core while it runs (on a machine at a load of 15 on 2
 * cores, the pairs' ratios spread four times less, and the import's CPU time is its wall
 * time); otherwise as any process. The function and the baseline alike, either way.
 */
type Isolation = 'pinned, real-time' | 'none';
type Isolated = { isolation: Isolation; prefix: string[] };
function isolationPrefix(): Isolated {
  const prefix = ['chrt', '--fifo', '50', 'taskset', '--cpu-list', String(cpus().length - 1)];
  const probe = spawnSync(prefix[0]!, [...prefix.slice(1), process.execPath, '-e', ''], { timeout: 10_000 });
  return probe.status === 0 ? { isolation: 'pinned, real-time', prefix } : { isolation: 'none', prefix: [] };
}

/** Milliseconds for a fresh process to import the bundle, once: wall time and CPU time. */
function initOnce(file: string, prefix: string[]): { wallMs: number; cpuMs: number } {
  // Wall time, and the CPU time the process spent (its threads' user and system time):
  // on a shared machine the wall time of a process that is not isolated stretches with
  // everyone else's load, the CPU time much less.
  const script =
    `const t=performance.now(),c=process.cpuUsage();await import(${JSON.stringify(pathToFileURL(file).href)});` +
    `const u=process.cpuUsage(c);process.stdout.write(JSON.stringify([performance.now()-t,(u.user+u.system)/1e3]));`;
  const command = [...prefix, process.execPath, '--input-type=module', '-e', script];
  const run = spawnSync(command[0]!, command.slice(1), {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    // A real-time process that never ended would hold its core: none may take long.
    timeout: 30_000,
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
    },
  });
  if (run.status !== 0)
    throw new Error(`importing ${file} failed: ${run.stderr.trim().split('\n').slice(-12).join('\n')}`);
  const [wallMs, cpuMs] = JSON.parse(run.stdout) as [number, number];
  return { wallMs, cpuMs };
}

/**
 * At least `runs` fresh imports of the bundles and of the baseline, taken in turn (function,
 * baseline, function, …) so that the machine's noise falls on both alike. The ratio is
 * the interquartile mean of the ratios of adjacent pairs: what a moment of load slows, it
 * slows for both of a pair, and a pair caught by a burst on one side only is trimmed.
 * While the pairs spread so wide that the ratio's standard error is above `PRECISION`
 * (neighbours that share the machine's memory and caches still reach an isolated import),
 * more pairs are taken, up to half as many again as `runs` (a run's noisiest stretch took
 * functions to twice as many without narrowing their quartiles, and the whole run past ten
 * minutes): a quiet machine pays nothing for it. `files` are bundles of the same code
 * (`sameCode`): the pairs take each in turn, each going first and second in turn, and each
 * one's own ratio, from its own pairs, is kept beside the figure they make together.
 */
const PRECISION = 0.012;
function initPairs(files: string[], baseline: string, runs: number, { isolation, prefix }: Isolated) {
  const mine: { wallMs: number; cpuMs: number }[] = [];
  const base: { wallMs: number; cpuMs: number }[] = [];
  const ratios = () => mine.map((run, i) => run.cpuMs / base[i]!.cpuMs);
  // Pair i imports bundle i mod n, for the (i div n)th time.
  const member = (i: number) => i % files.length;
  for (let i = 0; i < runs || (i < Math.ceil(1.5 * runs) && standardError(ratios()) > PRECISION); i++) {
    // Which of a pair runs first alternates, for each bundle: neither is always the one after a pause.
    const first = Math.floor(i / files.length) % 2 === 0;
    if (!first) base.push(initOnce(baseline, prefix));
    mine.push(initOnce(files[member(i)]!, prefix));
    if (first) base.push(initOnce(baseline, prefix));
  }
  const iqm = (values: number[]) => Math.round(middleMean(values) * 100) / 100;
  const figures: InitFigures = {
    initMs: median(mine.map((run) => run.wallMs)),
    baselineInitMs: median(base.map((run) => run.wallMs)),
    initCpuMs: median(mine.map((run) => run.cpuMs)),
    baselineInitCpuMs: median(base.map((run) => run.cpuMs)),
    ratio: iqm(ratios()),
    ratioQuartiles: quartiles(ratios()),
    wallRatio: iqm(mine.map((run, i) => run.wallMs / base[i]!.wallMs)),
    pairs: mine.length,
    isolation,
  };
  return { figures, own: files.map((_, m) => iqm(ratios().filter((_, i) => member(i) === m))) };
}

/**
 * The functions whose bundles are the same code but for the scope their route serves (a
 * domain's path or the admin one), grouped; every other function alone. Each run compares
 * their `index.mjs` files whole, with every `"admin"` literal made `"domain"`: nothing
 * else may differ. Reading them also puts them in the page cache before their first import.
 */
function sameCode(files: Map<string, string>): string[][] {
  const groups = new Map<string, string[]>();
  for (const [id, file] of files) {
    const code = readFileSync(file, 'utf8').replaceAll('"admin"', '"domain"');
    const digest = createHash('sha256').update(code).digest('hex');
    groups.set(digest, [...(groups.get(digest) ?? []), id]);
  }
  return [...groups.values()];
}

interface InitFigures {
  /** Medians, wall time. */
  initMs: number;
  baselineInitMs: number;
  /** Medians, CPU time. */
  initCpuMs: number;
  baselineInitCpuMs: number;
  /** Interquartile mean of the CPU-time ratios of adjacent function/baseline pairs. */
  ratio: number;
  /** The same of the wall-time ratios: what an idle machine would show, noisier on a busy one. */
  wallRatio: number;
  /** The pairs' ratios at their first and third quartiles: how much one pair says. */
  ratioQuartiles: [number, number];
  pairs: number;
  /** How the imports ran (`isolationPrefix`). */
  isolation: Isolation;
}

export interface ColdStart extends InitFigures {
  name: string;
  bundleBytes: number;
  contents: BundleContents;
  /** The SDK left to the runtime instead of bundled: measured for the authorizer only (the choice, checked). */
  runtimeSdk?: InitFigures & { bundleBytes: number };
  /** The functions of the same code but for their scope (`sameCode`), measured with this one. */
  sameCodeAs?: string[];
  /** With `sameCodeAs`: this function's own ratio, from its share of the pairs. */
  ownRatio?: number;
}

/**
 * Pairs per function, at least: with the imports isolated, 14 keep two runs' ratios within
 * ±0.05 of each other while a function's pairs' quartiles are within about 0.06 (0.04 at
 * the widest in two runs at a load of 20 to 30 on 2 cores); wider pairs get more
 * (`initPairs`). Functions of the same code share half as many again (21 for two). The
 * authorizer, on every call's path, gets more. A smoke run's one pair a function only
 * shows that every bundle builds and imports.
 */
export function coldStartSettings(smoke: boolean): { runs: number; authorizerRuns: number } {
  return smoke ? { runs: 1, authorizerRuns: 1 } : { runs: 14, authorizerRuns: 20 };
}

/** Every function's cold start, or only those named in `only`. */
export async function measureColdStarts(options: {
  runs: number;
  authorizerRuns: number;
  only?: string[];
}): Promise<ColdStart[]> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const baselineEntry = resolve(OUT, 'baseline.ts');
  writeFileSync(baselineEntry, BASELINE_SOURCE);
  const baseline = {
    bundled: resolve(OUT, 'bundled/baseline/index.mjs'),
    runtime: resolve(OUT, 'runtime/baseline/index.mjs'),
  };
  const ids = [
    authorizer.id,
    ...routes.map((r) => r.id),
    ...scheduledFunctions.map((f) => f.id),
    ...streamFunctions.map((f) => f.id),
    ...queueFunctions.map((f) => f.id),
  ].filter((id) => !options.only || options.only.includes(id));
  const entries = Object.fromEntries(ids.map((id) => [id, resolve(PROJECT_ROOT, entryOf(id))]));
  const bundled = await bundle({ ...entries, baseline: baselineEntry }, resolve(OUT, 'bundled'), true);
  const runtimeEntries = { baseline: baselineEntry, [authorizer.id]: resolve(PROJECT_ROOT, entryOf(authorizer.id)) };
  const runtime = await bundle(runtimeEntries, resolve(OUT, 'runtime'), false);
  const isolated = isolationPrefix();
  const file = (id: string) => resolve(OUT, `bundled/${id}/index.mjs`);
  // Once, unmeasured: the baseline's first import also reads what every import reads.
  initOnce(baseline.bundled, isolated.prefix);
  const results: ColdStart[] = [];
  for (const group of sameCode(new Map(ids.map((id) => [id, file(id)])))) {
    // A group's members share its pairs: half again as many as one function's for two.
    const runs = group.includes(authorizer.id) ? options.authorizerRuns : options.runs;
    const pairs = Math.max(group.length, Math.ceil((runs * (group.length + 1)) / 2));
    const { figures, own } = initPairs(group.map(file), baseline.bundled, pairs, isolated);
    for (const [m, id] of group.entries()) {
      const { bytes, contents } = bundled.get(id)!;
      const others = group.filter((other) => other !== id);
      results.push({
        name: id,
        bundleBytes: bytes,
        contents,
        ...figures,
        ...(others.length > 0 && { sameCodeAs: others, ownRatio: own[m] }),
      });
    }
  }
  const measured = results.find((result) => result.name === authorizer.id);
  if (measured) {
    const runtimeFile = resolve(OUT, `runtime/${authorizer.id}/index.mjs`);
    readFileSync(runtimeFile);
    initOnce(baseline.runtime, isolated.prefix);
    measured.runtimeSdk = {
      bundleBytes: runtime.get(authorizer.id)!.bytes,
      ...initPairs([runtimeFile], baseline.runtime, options.runs, isolated).figures,
    };
  }
  // In the order of the route table, as before the grouping.
  return ids.map((id) => results.find((result) => result.name === id)!);
}
