import type { Clock, IdGenerator } from '../kernel/ports.js';
import type { LifecycleReads, TokenLifecycle } from './ports.js';
import { utcDay } from '../dynamodb/keys.js';
import { LIFECYCLE_ORIGIN, tokenEvent } from '../kernel/events.js';
import { nextNoticeAt, noticeDue } from './notices.js';

export interface LifecycleDeps {
  lifecycle: TokenLifecycle;
  clock: Clock;
  ids: IdGenerator;
  /** Suspend active tokens unused for this many days; undefined: never. */
  suspendUnusedAfterDays: number | undefined;
}

export interface LifecycleReport {
  now: string;
  expiring: number;
  expired: number;
  suspendedUnused: number;
  /** Tokens another run, or a change, got to first: left as they are. */
  skipped: number;
  reads: LifecycleReads;
}

const DAY_MS = 86_400_000;

/**
 * One pass of the lifecycle job (hourly in AWS, `npm run lifecycle` locally): the expiry
 * notices due, then, when enabled, the suspension of tokens unused for too long. Every
 * change is one conditional transaction with its event, so a pass run twice, or two
 * passes at once, send each notice and suspend each token once.
 */
export async function runLifecycle(deps: LifecycleDeps, now: Date = deps.clock()): Promise<LifecycleReport> {
  const before = { ...deps.lifecycle.reads };
  const report: LifecycleReport = {
    now: now.toISOString(),
    expiring: 0,
    expired: 0,
    suspendedUnused: 0,
    skipped: 0,
    reads: before,
  };
  for await (const due of deps.lifecycle.dueNotices(now)) {
    const days = noticeDue(due.expiresAt, now);
    if (days === undefined) continue;
    const event =
      days === 0
        ? tokenEvent(deps, 'token.expired', due, LIFECYCLE_ORIGIN, {}, now, { expiresAt: due.expiresAt })
        : tokenEvent(deps, 'token.expiring', due, LIFECYCLE_ORIGIN, {}, now, {
            daysBefore: days,
            expiresAt: due.expiresAt,
          });
    const next = days === 0 ? undefined : nextNoticeAt(due.expiresAt, now);
    if (await deps.lifecycle.recordNotice(due, next, event)) report[days === 0 ? 'expired' : 'expiring'] += 1;
    else report.skipped += 1;
  }
  if (deps.suspendUnusedAfterDays !== undefined) {
    const beforeDay = utcDay(new Date(now.getTime() - deps.suspendUnusedAfterDays * DAY_MS));
    for await (const idle of deps.lifecycle.idleTokens(beforeDay)) {
      if (idle.status !== 'ACTIVE') {
        // Suspended as its last use was being recorded: it has no place in the index.
        await deps.lifecycle.forgetIdle(idle);
        continue;
      }
      const unusedDays = Math.floor((now.getTime() - Date.parse(`${idle.activeDay}T00:00:00Z`)) / DAY_MS);
      const event = tokenEvent(
        deps,
        'token.suspended_unused',
        idle,
        LIFECYCLE_ORIGIN,
        { status: { before: 'ACTIVE', after: 'SUSPENDED' } },
        now,
        {
          inactiveSince: idle.activeDay,
          unusedDays,
        },
      );
      if (await deps.lifecycle.suspendIdle(idle, beforeDay, now.toISOString(), event)) report.suspendedUnused += 1;
      else report.skipped += 1;
    }
  }
  const after = deps.lifecycle.reads;
  // This pass's reads alone: a warm function's store counts across invocations.
  report.reads = {
    queries: after.queries - before.queries,
    items: after.items - before.items,
    capacityUnits: after.capacityUnits - before.capacityUnits,
  };
  return report;
}
