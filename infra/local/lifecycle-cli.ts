import { ConfigError, readConfig } from '../../shared/kernel/config.js';
import { runLifecycle } from '../../shared/lifecycle/job.js';
import { backfillLifecycle } from '../../shared/lifecycle/lifecycle-backfill.js';
import { createRuntime } from '../../shared/runtime/runtime.js';
import { scopedLifecycle } from './lifecycle-scope.js';
import { againstTable, describeTarget, refusal, tableTarget } from './running.js';
import { commandLine } from './command-line.js';

/**
 * `npm run lifecycle -- [--now <ISO time>] [--url <npm start>]`: one pass of the hourly
 * lifecycle job against the running `npm start` (or the table TABLE_NAME /
 * DYNAMODB_ENDPOINT / AWS_REGION name), optionally as if it were another time, to see
 * notices and suspensions without waiting for them. It says on stderr what it works on,
 * and on stdout what it changed; `--token` keeps it to the tokens named (a demo's own).
 * Unused tokens are suspended only with SUSPEND_UNUSED_AFTER_DAYS set, as in AWS.
 * `--backfill` is also the operator's one-time step in AWS after upgrading (with the
 * table's name, AWS_REGION and credentials that may scan it).
 */
const usage = `Usage: npm run lifecycle -- [--now <ISO time>] [--token <account>/<name>]... [--backfill] [--url URL]
  --now TIME   run as if it were TIME (default: now), e.g. 2027-01-01T00:00:00Z
  --token A/N  only token N of service account A (repeatable): every other token is left as it is
  --backfill   first bring tokens stored before the lifecycle indexes into them (a scan, once)
  --url URL    the npm start to work on, e.g. http://127.0.0.1:3000 (default: the one running in this folder)
Environment: SUSPEND_UNUSED_AFTER_DAYS=N suspends tokens unused for N days (default: off).`;

async function main(): Promise<number> {
  const values = commandLine(usage, {
    now: { type: 'string' },
    backfill: { type: 'boolean', default: false },
    url: { type: 'string' },
    token: { type: 'string', multiple: true, default: [] },
  });
  if (typeof values === 'number') return values;
  const malformed = values.token.find((token) => !/^[^/\s]+\/[^/\s]+$/.test(token));
  if (malformed !== undefined) {
    console.error(`--token must be <service account>/<token name>, got "${malformed}"\n${usage}`);
    return 2;
  }
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime())) {
    console.error(`--now must be an ISO-8601 time, got "${values.now}"\n${usage}`);
    return 2;
  }
  const target = tableTarget(process.env, values.url);
  const config = readConfig({ POWERTOOLS_LOG_LEVEL: 'WARN', ...target.env });
  console.error(describeTarget('lifecycle', config, target.server));
  const runtime = createRuntime(config, { clock: () => now });
  return againstTable('lifecycle', runtime, async () => {
    if (values.backfill)
      console.log(
        `Backfill: ${await backfillLifecycle(runtime.documents, config.tableName, now)} token(s) brought into ` +
          `the lifecycle indexes.`,
      );
    const { lifecycle, changes } = scopedLifecycle(runtime.lifecycle, values.token);
    const report = await runLifecycle({
      lifecycle,
      clock: runtime.clock,
      ids: runtime.ids,
      suspendUnusedAfterDays: config.lifecycle.suspendUnusedAfterDays,
    });
    const suspension =
      config.lifecycle.suspendUnusedAfterDays === undefined
        ? 'off'
        : `after ${config.lifecycle.suspendUnusedAfterDays} day(s)`;
    const only = values.token.length === 0 ? '' : ` (only ${values.token.join(', ')})`;
    console.log(
      `Lifecycle pass at ${report.now} on table ${config.tableName}${only}: ` +
        `${report.expiring} expiring notice(s), ${report.expired} expired notice(s), ` +
        `${report.suspendedUnused} unused token(s) suspended (suspension ${suspension}), ${report.skipped} skipped; ` +
        `${report.reads.queries} index queries read ${report.reads.items} entries.`,
    );
    for (const change of changes) console.log(change);
    return 0;
  });
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(
      refusal('lifecycle', error) ??
        (error instanceof ConfigError ? error.message : `Lifecycle pass failed: ${(error as Error).message ?? error}`),
    );
    process.exit(1);
  });
