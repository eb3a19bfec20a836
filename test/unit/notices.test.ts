import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { nextNoticeAt, NOTICE_DAYS, noticeDue, noticeTime } from '../../shared/lifecycle/notices.js';

const DAY = 86_400_000;
const EXPIRES = '2027-06-30T08:00:00.000Z';
const at = (daysBefore: number) => new Date(Date.parse(EXPIRES) - daysBefore * DAY);

describe('expiry notice thresholds', () => {
  it('are 14, 7 and 1 day(s) before expiry, and the expiry itself', () => {
    expect(NOTICE_DAYS.map((days) => noticeTime(EXPIRES, days))).toStrictEqual([
      '2027-06-16T08:00:00.000Z',
      '2027-06-23T08:00:00.000Z',
      '2027-06-29T08:00:00.000Z',
      EXPIRES,
    ]);
  });

  it('start at the first one still ahead of the token’s creation', () => {
    expect(nextNoticeAt(EXPIRES, at(30))).toBe(noticeTime(EXPIRES, 14));
    expect(nextNoticeAt(EXPIRES, at(10))).toBe(noticeTime(EXPIRES, 7));
    expect(nextNoticeAt(EXPIRES, at(7))).toBe(noticeTime(EXPIRES, 1));
    expect(nextNoticeAt(EXPIRES, at(0.5).toISOString())).toBe(EXPIRES);
    expect(nextNoticeAt(EXPIRES, at(0))).toBeUndefined();
    expect(nextNoticeAt(null, at(30))).toBeUndefined();
  });

  it('send the latest one reached, none before the first', () => {
    expect(noticeDue(EXPIRES, at(15))).toBeUndefined();
    expect(noticeDue(EXPIRES, at(14))).toBe(14);
    expect(noticeDue(EXPIRES, at(3))).toBe(7);
    expect(noticeDue(EXPIRES, at(0.9))).toBe(1);
    expect(noticeDue(EXPIRES, at(-3))).toBe(0);
  });

  it('walk through every threshold once, in order, whatever the times the job runs', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -2, max: 20, noNaN: true }), { minLength: 1, maxLength: 40 }), (runs) => {
        // The job at sorted times, each run sending what is due and moving on, as the store does.
        let next = nextNoticeAt(EXPIRES, at(20));
        const sent: number[] = [];
        for (const daysBefore of [...runs].sort((a, b) => b - a)) {
          const now = at(daysBefore);
          if (next === undefined || Date.parse(next) > now.getTime()) continue;
          const due = noticeDue(EXPIRES, now)!;
          sent.push(due);
          next = due === 0 ? undefined : nextNoticeAt(EXPIRES, now);
        }
        // Strictly decreasing: no threshold twice, none out of order.
        expect(sent.every((days, i) => i === 0 || days < sent[i - 1]!)).toBe(true);
        expect(sent.every((days) => (NOTICE_DAYS as readonly number[]).includes(days))).toBe(true);
      }),
    );
  });
});
