import { describe, expect, it } from '@jest/globals';
import { checkLines, checks } from '../../bench/checks.js';

/** The benchmark's goals as `npm run bench` prints them: met, missed, or not measured, never assumed. */
const scenario = (name: string, ratio: number, p99Ratio: number) => ({
  name,
  ratio,
  p99Ratio,
  ratioRange: [ratio, ratio] as [number, number],
});
const run = (overrides: { exchange?: number; tail?: number; init?: number; seconds?: number } = {}) => ({
  settings: { totalSeconds: overrides.seconds ?? 540 },
  scenarios: [
    scenario('whoami-token', 0.97, overrides.tail ?? 1.2),
    scenario('whoami-token-previous-secret', 0.95, 1.1),
    scenario('whoami-restricted-token', 0.96, 1.1),
    scenario('whoami-federated-token', 0.93, 1.1),
    scenario('exchange', overrides.exchange ?? 0.92, 1.5),
  ],
  functions: [
    { name: 'authorizer', ratio: 1.1 },
    { name: 'whoami', ratio: overrides.init ?? 1.2 },
  ],
});

describe('the benchmark’s checks of its goals', () => {
  it('says MET for each goal a run reaches', () => {
    const lines = checkLines(checks(run()));
    expect(lines).toHaveLength(8);
    expect(lines.every((line) => line.startsWith('MET '))).toBe(true);
  });

  it('says MISSED, with the figure, for each goal a run misses', () => {
    const lines = checkLines(checks(run({ exchange: 0.89, tail: 1.31, init: 1.26, seconds: 601 })));
    expect(lines.filter((line) => line.startsWith('MISSED'))).toStrictEqual([
      'MISSED       exchange ≥ 0.9 of its floor: 0.89 (pairs 0.89–0.89)',
      "MISSED       whoami-token: p99 ≤ 1.3× the floor's p99: 1.31",
      "MISSED       every function's init ≤ 1.25× the baseline (2 measured): highest whoami 1.26",
      'MISSED       the whole run ≤ 600 s: 601 s',
    ]);
  });

  it('never calls a goal met that the run did not measure', () => {
    const lines = checkLines(checks({ scenarios: [], functions: [] }));
    expect(lines.every((line) => line.startsWith('NOT MEASURED'))).toBe(true);
  });

  it('never judges the load goals on a replay run, whose loads did without DynamoDB', () => {
    const lines = checkLines(checks({ ...run(), settings: { totalSeconds: 80, partial: true, replay: true } }));
    expect(lines.filter((line) => !line.startsWith('NOT MEASURED'))).toStrictEqual([
      "MET          every function's init ≤ 1.25× the baseline (2 measured): highest whoami 1.2",
    ]);
  });

  it('never calls the ten-minute goal met for a smoke or partial run', () => {
    for (const settings of [
      { totalSeconds: 300, partial: true },
      { totalSeconds: 30, smoke: true },
    ]) {
      const lines = checkLines(checks({ ...run(), settings }));
      expect(lines.at(-1)).toMatch(/^NOT MEASURED the whole run ≤ 600 s: \d+ s \(a (partial|smoke) run\)$/);
    }
  });

  it('compares two runs’ init ratios: within ±0.05 agrees, beyond it does not', () => {
    const agreeing = checks(run(), run({ init: 1.25 })).at(-2)!;
    expect(agreeing).toMatchObject({ met: true, figure: 'widest whoami 0.05' });
    expect(checks(run(), run({ init: 1.26 })).at(-2)).toMatchObject({ met: false, figure: 'widest whoami 0.06' });
  });
});
