import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import Sequencer from '@jest/test-sequencer';

/**
 * Jest's own order (files that failed last time, then the slowest first, from its cache),
 * with one difference: a file jest has no time for, as in every file of a fresh checkout,
 * takes its time from `durations.json`, which `npm run test:report` writes from its last
 * passing run. Without it jest falls back to file size, and on two cores a heavy file that
 * starts last ends the run alone.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const DURATIONS = resolve(import.meta.dirname, 'durations.json');

function recorded() {
  try {
    return JSON.parse(readFileSync(DURATIONS, 'utf8'));
  } catch {
    return {};
  }
}

const Base = Sequencer.default ?? Sequencer;

export default class DurationSequencer extends Base {
  durations = recorded();

  time(test) {
    const seconds = this.durations[relative(ROOT, test.path)];
    return super.time(test) ?? (typeof seconds === 'number' ? seconds * 1000 : undefined);
  }
}
