import { round2 } from './scenarios.js';
import { SMALL } from './fixture.js';
import { checkLines, checks } from './checks.js';

/** The figures `npm run bench` derives from its scenarios, and the summary it prints. */

interface ScenarioResult {
  name: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  baselineRps: number;
  baselineP50Ms: number;
  baselineP99Ms: number;
  ratio: number;
}

/** One scenario's throughput against another's, when both ran (null otherwise). */
export function ratioOf(results: ScenarioResult[], name: string, against: string): number | null {
  const mine = results.find((r) => r.name === name);
  const theirs = results.find((r) => r.name === against);
  return mine && theirs ? round2(mine.rps / theirs.rps) : null;
}

/** The large account's list against the small one's, when both ran. */
export function scaleOf(results: ScenarioResult[], large: { tokens: number; groups: number }) {
  const small = results.find((r) => r.name === 'list-tokens-jwt');
  const big = results.find((r) => r.name === 'list-tokens-jwt-large');
  if (!small || !big) return undefined;
  return {
    description:
      `list a page of an account with ${large.tokens} tokens as a caller in ${large.groups} groups, against ` +
      `${SMALL.tokens} tokens and ${SMALL.groups} groups`,
    p50Ratio: round2(big.p50Ms / Math.max(small.p50Ms, 0.1)),
    rpsRatio: round2(small.rps / big.rps),
  };
}

interface Summary {
  scenarios: ScenarioResult[];
  scale?: { p50Ratio: number; rpsRatio: number };
  functions: { name: string; bundleBytes: number; initMs: number; baselineInitMs: number; ratio: number }[];
  dynamodbCalls: { endpoint: string; calls: number; sequentialRoundTrips: number }[];
  settings: { stepSeconds: Record<string, number>; totalSeconds: number; smoke: boolean };
}

const cell = (value: unknown, width: number) => String(value).padStart(width);

export function printSummary(output: Summary): void {
  console.log('\nscenario                          rps  p50 ms  p99 ms   floor rps  p50 ms  p99 ms  ratio');
  for (const r of output.scenarios) {
    console.log(
      `${r.name.padEnd(28)} ${cell(r.rps, 8)} ${cell(r.p50Ms, 7)} ${cell(r.p99Ms, 7)} ${cell(r.baselineRps, 11)} ` +
        `${cell(r.baselineP50Ms, 7)} ${cell(r.baselineP99Ms, 7)}  ${r.ratio}`,
    );
  }
  if (output.scale)
    console.log(`scale (large / small): p50 ${output.scale.p50Ratio}x, throughput ${output.scale.rpsRatio}x`);
  if (output.functions.length)
    console.log('\nfunction                          bundle KiB  init ms  baseline ms  ratio');
  for (const f of output.functions) {
    console.log(
      `${f.name.padEnd(33)} ${cell(Math.round(f.bundleBytes / 1024), 10)} ` +
        `${cell(f.initMs, 8)} ${cell(f.baselineInitMs, 12)}  ${f.ratio}`,
    );
  }
  if (output.dynamodbCalls.length) console.log('\nendpoint                          DynamoDB calls  sequential');
  for (const d of output.dynamodbCalls)
    console.log(`${d.endpoint.padEnd(33)} ${cell(d.calls, 14)} ${cell(d.sequentialRoundTrips, 11)}`);
  console.log(`\nseconds per step: ${JSON.stringify(output.settings.stepSeconds)}`);
  // A smoke run's one short round says nothing about them.
  if (output.settings.smoke) return;
  console.log(`\nthe goals (npm run bench:check -- <this file> <a second run> adds the runs' agreement):`);
  for (const line of checkLines(checks(output))) console.log(`  ${line}`);
}
