import { ConfigError, readConfig } from '../shared/kernel/config.js';
import { reconcileRateLimits, underLease } from '../shared/ratelimit/reconcile.js';
import { reconcileParts } from '../shared/ratelimit/scheduled-reconcile.js';
import { createRuntime } from '../shared/runtime/runtime.js';
import { commandLine } from '../infra/local/command-line.js';

/**
 * `npm run reconcile -- [--apply]`: reports what is out of step between the tokens and
 * policies with keys and API Gateway's keys and tier plans; with --apply, queues each for
 * the key worker (as the hourly run does). Needs the deployed stack's settings and AWS
 * credentials in the environment.
 */

const usage = `Usage: npm run reconcile -- [--apply]
  (no option)  report drift only (dry run)
  --apply      queue it for the key worker
Environment: TABLE_NAME, AWS_REGION, REST_API_ID, API_STAGE, TIER_PLANS, KEY_QUEUE_URL (the stack's
outputs name them), and AWS credentials.`;

async function main(): Promise<number> {
  const values = commandLine(usage, { apply: { type: 'boolean', default: false } });
  if (typeof values === 'number') return values;
  const settings = readConfig(process.env);
  if (!settings.apiGateway?.keyQueueUrl || settings.apiGateway.tierPlans.size === 0) {
    console.error(`No API Gateway to reconcile with.\n${usage}`);
    return 2;
  }
  const runtime = createRuntime(settings);
  const parts = reconcileParts(runtime);
  const run = () => reconcileRateLimits(parts, { apply: values.apply });
  const report = values.apply ? await underLease(parts, run) : await run();
  if (!report) {
    console.error('Another reconcile is running (it holds the lease); try again in a few minutes.');
    return 1;
  }
  console.log(
    `Table ${settings.tableName}: ${report.owners} tokens and policies with keys (${report.limited} limited); ` +
      `API Gateway: ${report.ownKeys} keys of ours, ${report.regionKeys} in the account and Region.`,
  );
  for (const drift of report.drift) {
    const outcome = drift.queued === undefined ? '' : drift.queued ? '  [queued]' : '  [NOT queued]';
    console.log(`${drift.kind.padEnd(18)} ${drift.subject}: ${drift.detail}${outcome}`);
  }
  if (report.drift.length === 0) {
    console.log('No drift.');
    return 0;
  }
  if (!values.apply) {
    console.log(`${report.drift.length} drift(s) found; run with --apply to queue them for the key worker.`);
    return 0;
  }
  const failed = report.drift.filter((drift) => !drift.queued).length;
  console.log(
    failed === 0
      ? `${report.drift.length} drift(s) queued.`
      : `${failed} of ${report.drift.length} drift(s) not queued.`,
  );
  return failed === 0 ? 0 : 1;
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
