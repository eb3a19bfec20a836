import { readFileSync } from 'node:fs';

/**
 * The benchmark's goals, checked against a run's figures (bench/results.json or a file of
 * `--out`), each as MET or MISSED with the figure beside it; a figure a partial run did
 * not measure is NOT MEASURED, never met. With two files, also whether their cold-start
 * ratios agree within ±0.05. `npm run bench:check -- <results.json> [<second run>.json]`.
 */

interface Figures {
  settings?: { totalSeconds?: number; smoke?: boolean; partial?: boolean; replay?: boolean };
  scenarios: { name: string; ratio: number; p99Ratio?: number; ratioRange?: [number, number] }[];
  functions: { name: string; ratio?: number; ratioQuartiles?: [number, number] }[];
}

const FLOOR_GOALS: Record<string, number> = { 'whoami-token-previous-secret': 0.9, exchange: 0.9 };
const TOKEN_PATHS = [
  'whoami-token',
  'whoami-token-previous-secret',
  'whoami-restricted-token',
  'whoami-federated-token',
];
const TAIL_GOAL = 1.3;
const INIT_GOAL = 1.25;
const AGREEMENT = 0.05;
const MAX_SECONDS = 600;

type Check = { goal: string; met: boolean | undefined; figure: string };

export function checks(run: Figures, second?: Figures): Check[] {
  const list: Check[] = [];
  // A replay run's loads did without DynamoDB's work: their ratios are not the goals' figures.
  const measured = run.settings?.replay ? [] : run.scenarios;
  const scenario = (name: string) => measured.find((s) => s.name === name);
  for (const [name, goal] of Object.entries(FLOOR_GOALS)) {
    const s = scenario(name);
    const range = s?.ratioRange ? ` (pairs ${s.ratioRange[0]}–${s.ratioRange[1]})` : '';
    list.push({
      goal: `${name} ≥ ${goal} of its floor`,
      met: s && s.ratio >= goal,
      figure: `${s?.ratio ?? '–'}${range}`,
    });
  }
  for (const name of TOKEN_PATHS) {
    const p99Ratio = scenario(name)?.p99Ratio;
    list.push({
      goal: `${name}: p99 ≤ ${TAIL_GOAL}× the floor's p99`,
      met: p99Ratio === undefined ? undefined : p99Ratio <= TAIL_GOAL,
      figure: String(p99Ratio ?? '–'),
    });
  }
  const inits = run.functions.filter((f) => f.ratio !== undefined);
  const worst = inits.reduce<(typeof inits)[number] | undefined>(
    (w, f) => (!w || f.ratio! > w.ratio! ? f : w),
    undefined,
  );
  list.push({
    goal: `every function's init ≤ ${INIT_GOAL}× the baseline (${inits.length} measured)`,
    met: worst && worst.ratio! <= INIT_GOAL,
    figure: worst ? `highest ${worst.name} ${worst.ratio}` : '–',
  });
  if (second) {
    const diffs = inits.flatMap((f) => {
      const other = second.functions.find((g) => g.name === f.name)?.ratio;
      return other === undefined ? [] : [{ name: f.name, diff: Math.abs(other - f.ratio!) }];
    });
    const widest = diffs.reduce<(typeof diffs)[number] | undefined>(
      (w, d) => (!w || d.diff > w.diff ? d : w),
      undefined,
    );
    list.push({
      goal: `two runs' init ratios agree within ±${AGREEMENT} (${diffs.length} functions in both)`,
      met: widest && widest.diff <= AGREEMENT + 1e-9,
      figure: widest ? `widest ${widest.name} ${Math.round(widest.diff * 100) / 100}` : '–',
    });
  }
  const total = run.settings?.totalSeconds;
  // A smoke or partial run's seconds say nothing of the whole run's.
  const short = run.settings?.smoke ? ' (a smoke run)' : run.settings?.partial ? ' (a partial run)' : '';
  list.push({
    goal: `the whole run ≤ ${MAX_SECONDS} s`,
    met: total === undefined || short ? undefined : total <= MAX_SECONDS,
    figure: total === undefined ? '–' : `${total} s${short}`,
  });
  return list;
}

export function checkLines(list: Check[]): string[] {
  const verdict = (met: boolean | undefined) => (met === undefined ? 'NOT MEASURED' : met ? 'MET' : 'MISSED');
  return list.map((c) => `${verdict(c.met).padEnd(12)} ${c.goal}: ${c.figure}`);
}

if (process.argv[1]?.endsWith('checks.ts')) {
  const [first, second] = process.argv.slice(2).map((file) => JSON.parse(readFileSync(file, 'utf8')) as Figures);
  if (!first) throw new Error('usage: npm run bench:check -- <results.json> [<another run>.json]');
  for (const line of checkLines(checks(first, second))) console.log(line);
}
