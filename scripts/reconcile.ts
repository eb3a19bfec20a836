import { parseArgs } from 'node:util';
import { ConfigError, readConfig } from '../shared/kernel/config.js';
import { ApiGatewayRateLimits } from '../shared/ratelimit/aws-rate-limits.js';
import { apiGatewayKeysAtInit } from '../shared/ratelimit/reconcile-wiring.js';
import { reconcileRateLimits } from '../shared/ratelimit/reconcile.js';
import { createRuntime } from '../shared/runtime/runtime.js';

/**
 * `npm run reconcile -- [--apply]`: reports drift between the tokens in the table and the
 * API keys and usage plans in API Gateway; repairs it only with --apply. Needs the
 * deployed stack's settings and AWS credentials in the environment.
 */

const usage = `Usage: npm run reconcile -- [--apply]
  (no option)  report drift only (dry run)
  --apply      repair it
Environment: TABLE_NAME, AWS_REGION, REST_API_ID, API_STAGE, and AWS credentials.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { apply: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const settings = readConfig(process.env);
  const runtime = createRuntime(settings, {}, [apiGatewayKeysAtInit]);
  const { rateLimits } = runtime;
  if (!(rateLimits instanceof ApiGatewayRateLimits)) {
    console.error(`No API Gateway to reconcile with: set REST_API_ID and API_STAGE.\n${usage}`);
    return 2;
  }
  const report = await reconcileRateLimits(
    { tokens: runtime.tokens, policies: runtime.policies, rateLimits, clock: runtime.clock },
    { apply: values.apply },
  );
  console.log(
    `Table ${settings.tableName}: ${report.tokens} tokens; API Gateway: ${report.keys} keys and ${report.plans} ` +
      `usage plans of ours.`,
  );
  for (const drift of report.drift) {
    const outcome =
      drift.repaired === undefined ? '' : drift.repaired ? '  [repaired]' : `  [NOT repaired: ${drift.error}]`;
    console.log(`${drift.kind.padEnd(20)} ${drift.subject}: ${drift.detail}${outcome}`);
  }
  if (report.drift.length === 0) {
    console.log('No drift.');
    return 0;
  }
  if (!report.applied) {
    console.log(`${report.drift.length} drift(s) found; run with --apply to repair.`);
    return 0;
  }
  const failed = report.drift.filter((drift) => !drift.repaired).length;
  console.log(
    failed === 0
      ? `${report.drift.length} drift(s) repaired.`
      : `${failed} of ${report.drift.length} drift(s) not repaired.`,
  );
  return failed === 0 ? 0 : 1;
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
