/**
 * When a token's owners hear about its expiry: 14, 7 and 1 day(s) before `expiresAt`
 * (`token.expiring`), and when it passes (`token.expired`). A token carries the time of
 * its next notice (`noticeAt`, in the `notices` index); the job sends the notice due and
 * moves `noticeAt` on in one conditional write, so each threshold is sent once.
 */

/** Days before expiry at which a notice is sent; 0 is the expiry itself. */
export const NOTICE_DAYS = [14, 7, 1, 0] as const;
export type NoticeDays = (typeof NOTICE_DAYS)[number];

const DAY_MS = 86_400_000;

/** The moment of a notice `days` before `expiresAt`, as an ISO string. */
export function noticeTime(expiresAt: string, days: NoticeDays): string {
  return new Date(Date.parse(expiresAt) - days * DAY_MS).toISOString();
}

/**
 * The first notice strictly after `after`, or undefined when none is left. A token created
 * ten days before its expiry starts at the 7-day notice: a notice whose moment had passed
 * before the token existed is never sent.
 */
export function nextNoticeAt(expiresAt: string | null, after: Date | string): string | undefined {
  if (expiresAt === null) return undefined;
  const from = typeof after === 'string' ? Date.parse(after) : after.getTime();
  for (const days of NOTICE_DAYS) {
    const at = noticeTime(expiresAt, days);
    if (Date.parse(at) > from) return at;
  }
  return undefined;
}

/**
 * The notice to send at `now` for a token whose next notice was due: the latest threshold
 * reached. If the job was stopped past more than one (days of outage), the earlier ones are
 * stale and skipped: owners of a token expiring tomorrow need one notice saying so, not a
 * 14-day notice too. Undefined when nothing is due yet.
 */
export function noticeDue(expiresAt: string, now: Date): NoticeDays | undefined {
  let due: NoticeDays | undefined;
  for (const days of NOTICE_DAYS) if (Date.parse(noticeTime(expiresAt, days)) <= now.getTime()) due = days;
  return due;
}
