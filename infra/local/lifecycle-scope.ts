import type { TokenEvent } from '../../shared/kernel/events.js';
import type { TokenLifecycle as Lifecycle } from '../../shared/lifecycle/ports.js';

/**
 * The lifecycle job's port as `npm run lifecycle` hands it to the job: narrowed, when
 * `--token` names some, to those tokens (a demo's own, leaving every other token's notices
 * unsent and none suspended), and noting each change it makes, so that the command can say
 * what it changed. The job itself is the one AWS runs, unchanged.
 */
export function scopedLifecycle(lifecycle: Lifecycle, only: string[]): { lifecycle: Lifecycle; changes: string[] } {
  const changes: string[] = [];
  const wanted = (token: { serviceAccountId: string; name: string }) =>
    only.length === 0 || only.includes(`${token.serviceAccountId}/${token.name}`);
  async function* narrowed<T extends { serviceAccountId: string; name: string }>(tokens: AsyncIterable<T>) {
    for await (const token of tokens) if (wanted(token)) yield token;
  }
  const note = (token: { serviceAccountId: string; name: string }, event: TokenEvent, done: boolean) => {
    const days = event.details?.daysBefore;
    const unused = event.details?.unusedDays;
    const how = days !== undefined ? ` (${days} day(s) before it expires)` : unused ? ` (unused ${unused} day(s))` : '';
    if (done) changes.push(`  ${token.serviceAccountId}/${token.name}: ${event.type}${how}`);
    return done;
  };
  return {
    changes,
    lifecycle: {
      get reads() {
        return lifecycle.reads;
      },
      dueNotices: (now) => narrowed(lifecycle.dueNotices(now)),
      idleTokens: (beforeDay) => narrowed(lifecycle.idleTokens(beforeDay)),
      forgetIdle: (token) => lifecycle.forgetIdle(token),
      recordNotice: async (due, next, event) => note(due, event, await lifecycle.recordNotice(due, next, event)),
      suspendIdle: async (token, beforeDay, at, event) =>
        note(token, event, await lifecycle.suspendIdle(token, beforeDay, at, event)),
    },
  };
}
