import { describe, expect, it } from '@jest/globals';
import { Pacer } from '../../shared/ratelimit/pacer.js';
import { SimClock } from './sim-clock.js';

/** The pacer alone, on a simulated clock: what it waits after each of API Gateway's answers. */

const throttled = (retryAfterSeconds?: string) =>
  Object.assign(new Error('Too Many Requests'), { name: 'TooManyRequestsException', retryAfterSeconds });

/** A pacer at 100 calls a second (a gap of 10 ms) whose jitter is half its range; the times its calls started. */
function paced(options: { until?: number } = {}) {
  const sim = new SimClock(0);
  const pacer = new Pacer({ callsPerSecond: 100, now: () => sim.now, sleep: sim.sleep, random: () => 0.5 });
  if (options.until !== undefined) pacer.until = options.until;
  const starts: number[] = [];
  const answering = (...answers: (Error | null)[]) =>
    pacer.call(async () => {
      starts.push(sim.now);
      const answer = answers.shift();
      if (answer) throw answer;
      return 'done';
    });
  return { sim, pacer, starts, answering };
}

describe('the pacer', () => {
  it('waits what API Gateway asks when it says, else the jitter; a hint that is not a number of seconds is ignored', async () => {
    const asked = paced();
    expect(await asked.answering(throttled('3'), null)).toBe('done');
    expect(asked.starts).toStrictEqual([0, 3000]);
    for (const hint of [undefined, 'soon', '0', '-5']) {
      const p = paced();
      expect(await p.answering(throttled(hint), throttled(hint), null)).toBe('done');
      // Half of 0.5 s, then half of 1 s: the jitter alone.
      expect(p.starts).toStrictEqual([0, 250, 750]);
    }
  });

  it('tries again after LimitExceededException and ServiceUnavailableException, and never after another error', async () => {
    const named = (name: string) => Object.assign(new Error(name), { name });
    const p = paced();
    await p.answering(named('LimitExceededException'), named('ServiceUnavailableException'), null);
    expect(p.starts).toHaveLength(3);
    const refused = paced();
    await expect(refused.answering(named('BadRequestException'))).rejects.toThrow('BadRequestException');
    await expect(refused.answering(null as never)).resolves.toBe('done');
    const odd = paced();
    await expect(odd.pacer.call(() => Promise.reject(null))).rejects.toBeNull();
    expect(refused.starts).toHaveLength(2);
  });

  it('gives up with API Gateway’s answer rather than wait past `until`, and starts no call after it', async () => {
    const p = paced({ until: 2000 });
    await expect(p.answering(throttled('3'))).rejects.toThrow('Too Many Requests');
    expect(p.starts).toStrictEqual([0]);
    p.sim.now = 2001;
    await expect(p.answering(null)).rejects.toThrow(/No time left/);
    expect(p.starts).toStrictEqual([0]);
  });
});
