import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FUNCTION_MEMORY_MB } from '../infra/cdk/bundling.js';
import { PROJECT_ROOT } from '../infra/local/paths.js';
import { replaceBetween } from '../scripts/doc-blocks.js';
import { costPerMillion, PRICES, PRICES_READ, total } from './cost-model.js';
import { FIXED_PRICES, FIXED_PRICES_READ, fixedMonthlyCosts, fixedTotal, stageShape } from './cost-model.js';
import { DEFAULT_OPERATIONS } from '../infra/cdk/operations-settings.js';
import type { LifecycleCase } from './lifecycle.js';
import type { ColdStart } from './cold-start.js';

/**
 * Writes the figures of `bench/results.json` into docs/performance.md, between its
 * `bench` and `cost` markers, so that no figure is ever edited by hand.
 * `npm run bench` calls it after a full run; `npm run bench:report` re-renders alone.
 */

/** Goals the tables show beside the figures. */
const SCENARIO_GOALS: Record<string, string> = {
  'whoami-token': '≥ 0.9',
  'whoami-token-previous-secret': '≥ 0.9',
  'whoami-restricted-token': '≥ 0.7',
  'whoami-federated-token': '≥ 0.7',
  exchange: '≥ 0.9',
  'list-token-events': '≥ 0.5',
  'list-tokens-jwt': '≥ 0.5',
};
const INIT_GOAL = 1.25;

/** The token path's tail against the floor's (p99 / floor p99). */
const TAIL_GOAL = 1.3;
/** The scenarios of a token-authenticated call: their tails are held to `TAIL_GOAL`. */
const TOKEN_PATHS = new Set([
  'whoami-token',
  'whoami-token-previous-secret',
  'whoami-restricted-token',
  'whoami-federated-token',
]);

interface Scenario {
  name: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  baselineRps: number;
  baselineP50Ms?: number;
  baselineP99Ms?: number;
  ratio: number;
  ratioRange?: [number, number];
  p99Ratio?: number;
  cpuMsPerRequest?: number;
  baselineCpuMsPerRequest?: number;
}

/** What the tables read of a cold start (older results lack the CPU-time figures). */
type FunctionInit = Pick<ColdStart, 'name' | 'bundleBytes' | 'initMs' | 'baselineInitMs'> & Partial<ColdStart>;

interface Results {
  generatedAt: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; loadAverage?: number };
  settings?: { durationSeconds: number; rounds: number; connections: number; stepSeconds?: Record<string, number> };
  scenarios: Scenario[];
  scale?: { description: string; p50Ratio: number; rpsRatio: number };
  rotation?: { description: string; previousVsCurrentRps: number | null };
  restriction?: { description: string; restrictedVsUnrestrictedRps: number | null };
  functions: FunctionInit[];
  dynamodbCalls: { endpoint: string; calls: number; sequentialRoundTrips: number }[];
  durations?: Record<string, Record<string, number>>;
  lifecycle?: { description: string; cases: LifecycleCase[] };
  controlPlane?: {
    description: string;
    creates: number;
    windowSeconds: number;
    answered201: number;
    overQuotaCalls: number;
    allOwnKeysWithinSeconds: number;
    capacityStatus: number;
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const or = (value: unknown) => (value === undefined ? '–' : String(value));

function scenarioLines(results: Results): string[] {
  return [
    '| scenario | rps | p50 ms | p99 ms | floor rps | floor p50 ms | floor p99 ms | ratio (rounds) | goal | ' +
      'p99 / floor p99 | CPU ms a request, ours / floor |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.scenarios.map((s) => {
      const range = s.ratioRange ? ` (${s.ratioRange[0]}–${s.ratioRange[1]})` : '';
      const tail =
        s.p99Ratio === undefined ? '–' : `${s.p99Ratio}${TOKEN_PATHS.has(s.name) ? ` (≤ ${TAIL_GOAL})` : ''}`;
      return (
        `| ${s.name} | ${s.rps} | ${s.p50Ms} | ${s.p99Ms} | ${s.baselineRps} | ${or(s.baselineP50Ms)} | ` +
        `${or(s.baselineP99Ms)} | ${s.ratio}${range} | ${SCENARIO_GOALS[s.name] ?? ''} | ${tail} | ` +
        `${or(s.cpuMsPerRequest)} / ${or(s.baselineCpuMsPerRequest)} |`
      );
    }),
  ];
}

function functionLines(functions: FunctionInit[]): string[] {
  return [
    `| function | bundle KiB | init ms (CPU) | baseline ms (CPU) | ratio (goal ≤ ${INIT_GOAL}) | pairs’ quartiles | ` +
      'init ms (wall) | baseline ms (wall) |',
    '|---|---|---|---|---|---|---|---|',
    ...functions.map(
      (f) =>
        `| ${f.name} | ${Math.round(f.bundleBytes / 1024)} | ${or(f.initCpuMs)} | ${or(f.baselineInitCpuMs)} | ` +
        `${f.ratio ?? round2(f.initMs / f.baselineInitMs)} | ` +
        `${f.ratioQuartiles ? `${f.ratioQuartiles[0]}–${f.ratioQuartiles[1]}` : '–'} | ${f.initMs} | ` +
        `${f.baselineInitMs} |`,
    ),
    ...sameCodeLines(functions),
  ];
}

/** Which functions were measured together, being the same code but for their scope. */
function sameCodeLines(functions: FunctionInit[]): string[] {
  const names = functions.map((f) => f.name);
  const groups = functions.filter(
    (f) => f.sameCodeAs?.length && names.indexOf(f.sameCodeAs[0]!) > names.indexOf(f.name),
  );
  if (groups.length === 0) return [];
  const own = (name: string) => functions.find((f) => f.name === name)?.ownRatio ?? '–';
  const listed = groups
    .map((f) => [f.name, ...f.sameCodeAs!])
    .map((ids) => `${ids.join(' and ')} (${ids.map(own).join(' and ')})`)
    .join('; ');
  const why = "the same code but for the scope they serve; in brackets, each one's ratio on its own pairs";
  return ['', `Measured together, each pair taking them in turn (${why}): ${listed}.`];
}

/** What the authorizer's bundle holds: every call's cold start loads it. */
function authorizerContents(functions: FunctionInit[]): string[] {
  const authorizer = functions.find((f) => f.name === 'authorizer');
  if (!authorizer?.contents) return [];
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  const shown = authorizer.contents.slice(0, 12);
  const rest = authorizer.contents.slice(12).reduce((sum, c) => sum + c.bytes, 0);
  return [
    '',
    `The authorizer's bundle, ${kib(authorizer.bundleBytes)} KiB minified, by package (bytes in \`index.mjs\`):`,
    '',
    '| from | KiB |',
    '|---|---:|',
    ...shown.map((c) => `| ${c.from} | ${kib(c.bytes)} |`),
    `| everything else (${authorizer.contents.length - shown.length} more) | ${kib(rest)} |`,
  ];
}

export function benchBlock(results: Results): string {
  const cpu = results.machine.cpu.includes('EPYC') ? 'AMD EPYC' : results.machine.cpu;
  const load =
    results.machine.loadAverage === undefined ? '' : `, load average ${results.machine.loadAverage} at the end`;
  const steps = results.settings?.stepSeconds;
  const lines = [
    `Measured ${results.generatedAt.slice(0, 10)} on ${results.machine.cores} cores (${cpu}), ` +
      `${results.machine.memoryGiB} GiB, Node ${results.machine.node}${load}; DynamoDB Local in memory.` +
      (steps
        ? ` Seconds per step: ${Object.entries(steps)
            .map(([step, seconds]) => `${step} ${seconds}`)
            .join(', ')}.`
        : ''),
    '',
    ...scenarioLines(results),
    ...(results.scale
      ? [
          '',
          `Scale (${results.scale.description}): p50 ${results.scale.p50Ratio}×, throughput ` +
            `${results.scale.rpsRatio}× the small case (goal: within 2×).`,
        ]
      : []),
    ...(results.rotation
      ? [
          '',
          `Rotation (${results.rotation.description}): ${results.rotation.previousVsCurrentRps}× the throughput ` +
            `(goal: within 10 %).`,
        ]
      : []),
    ...(results.restriction
      ? [
          '',
          `Restrictions (${results.restriction.description}): ${results.restriction.restrictedVsUnrestrictedRps}× ` +
            `the throughput (goal: within 5 %).`,
        ]
      : []),
    '',
    ...functionLines(results.functions),
    ...authorizerContents(results.functions),
    '',
    '| endpoint | DynamoDB calls | sequential round trips |',
    '|---|---|---|',
    ...results.dynamodbCalls.map((d) => `| ${d.endpoint} | ${d.calls} | ${d.sequentialRoundTrips} |`),
    ...(results.lifecycle ? ['', ...lifecycleLines(results.lifecycle)] : []),
    ...(results.controlPlane ? ['', controlPlaneLine(results.controlPlane)] : []),
  ];
  return lines.join('\n');
}

function controlPlaneLine(c: NonNullable<Results['controlPlane']>): string {
  return (
    `Control plane (${c.creates} ${c.description}): ${c.answered201} of ${c.creates} answered 201 within ` +
    `${c.windowSeconds} s, ${c.overQuotaCalls} calls over a quota, every token on its own key within ` +
    `${c.allOwnKeysWithinSeconds} s (goal: 600); one create beyond the ceiling answered ${c.capacityStatus}.`
  );
}

function lifecycleLines(lifecycle: NonNullable<Results['lifecycle']>): string[] {
  return [
    `Lifecycle job (${lifecycle.description}):`,
    '',
    '| tokens | due | queries | index entries read | read capacity | a scan instead: items, capacity | ms | ' +
      'floor ms | ratio |',
    '|---|---|---|---|---|---|---|---|---|',
    ...lifecycle.cases.map(
      (c) =>
        `| ${c.tokens} | ${c.due} + ${c.due} | ${c.job.queries} | ${c.job.items} | ${c.job.capacityUnits} | ` +
        `${c.scan.items}, ${c.scan.capacityUnits} | ${c.job.ms} | ${c.floorMs} | ${c.ratio} |`,
    ),
  ];
}

export function costBlock(results: Results): string {
  const measured = results.durations?.['whoami-token'];
  if (!measured?.authorizer || !measured.whoami) return 'No durations in bench/results.json: run `npm run bench`.';
  const input = { authorizerMs: measured.authorizer, functionMs: measured.whoami };
  const columns = [
    { title: 'no cache (as deployed)', lines: costPerMillion(input, { cacheSeconds: 0, callsPerSecond: 1 }) },
    { title: '60 s cache, 1 call/s per token', lines: costPerMillion(input, { cacheSeconds: 60, callsPerSecond: 1 }) },
    {
      title: '60 s cache, 10 calls/s per token',
      lines: costPerMillion(input, { cacheSeconds: 60, callsPerSecond: 10 }),
    },
  ];
  const usd = (n: number) => `$${n < 0.01 && n > 0 ? n.toFixed(4) : n.toFixed(3)}`;
  return [
    `Per million token-authenticated calls to \`whoami\`, us-east-1, on-demand, no free tier; warm durations ` +
      `measured ${results.generatedAt.slice(0, 10)}: authorizer ${input.authorizerMs} ms, whoami ` +
      `${input.functionMs} ms (billed by the started millisecond, at ${FUNCTION_MEMORY_MB} MB). Tokens are assumed ` +
      `to call at least once a minute (the lastUsedAt write is then once a minute per token).`,
    '',
    `| item | ${columns.map((c) => c.title).join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
    ...columns[0]!.lines.map(
      (line, i) => `| ${line.item} | ${columns.map((c) => usd(c.lines[i]!.perMillion)).join(' | ')} |`,
    ),
    `| **total** | ${columns.map((c) => `**${usd(total(c.lines))}**`).join(' | ')} |`,
    '',
    `A 60 s authorizer cache would save ${usd(total(columns[0]!.lines) - total(columns[1]!.lines))} a million ` +
      `calls ` +
      `(${Math.round((100 * (total(columns[0]!.lines) - total(columns[1]!.lines))) / total(columns[0]!.lines))} %) ` +
      `for tokens calling once a second.`,
    '',
    `Prices read ${PRICES_READ}:`,
    '',
    ...Object.values(PRICES).map((price) => `- ${price.usd} USD: ${price.source}.`),
    '',
    ...fixedBlock(),
  ].join('\n');
}

/** What one stage costs a month with the default context, before any call. */
function fixedBlock(): string[] {
  const { waf, wafCommonRuleSet: commonRuleSet, apiDetailedMetrics: detailedApiMetrics } = DEFAULT_OPERATIONS;
  const lines = fixedMonthlyCosts(stageShape({ waf, commonRuleSet, detailedApiMetrics }));
  const usd = (n: number) => `$${n.toFixed(2)}`;
  return [
    'Fixed monthly costs of one stage, default context, whatever its traffic (us-east-1, no free tier), ' +
      'from the route table and the alarm catalog (`fixedMonthlyCosts` in `bench/cost-model.ts`):',
    '',
    '| item | a month |',
    '|---|---:|',
    ...lines.map((line) => `| ${line.item} | ${usd(line.perMonth)} |`),
    `| **total** | **${usd(fixedTotal(lines))}** |`,
    '',
    'CloudFront, CodeDeploy (for Lambda), SNS, EventBridge, SQS and the table bill by use, ' +
      'and point-in-time recovery by the table’s size: none has a monthly fee of its own.',
    '',
    `Prices read ${FIXED_PRICES_READ}:`,
    '',
    ...Object.values(FIXED_PRICES).map((price) => `- ${price.usd} USD: ${price.source}.`),
  ];
}

export function writeReports(resultsFile = resolve(PROJECT_ROOT, 'bench/results.json')): void {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as Results;
  const performance = resolve(PROJECT_ROOT, 'docs/performance.md');
  let text = replaceBetween(readFileSync(performance, 'utf8'), 'bench', benchBlock(results));
  text = replaceBetween(text, 'cost', costBlock(results));
  writeFileSync(performance, text);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeReports();
  console.log('docs/performance.md rewritten from bench/results.json');
}
