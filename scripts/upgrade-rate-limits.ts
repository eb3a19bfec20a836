import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError, readConfig } from '../shared/kernel/config.js';
import { QueuedKeyChanges } from '../shared/ratelimit/key-queue.js';
import { Pacer } from '../shared/ratelimit/pacer.js';
import { createDocumentClient } from '../shared/dynamodb/client.js';
import { adopt, removePlans } from './rate-limit-upgrade.js';
import { commandLine } from '../infra/local/command-line.js';

/**
 * `npm run upgrade-rate-limits -- [--remove-plans]`: the one-time upgrade from usage plans
 * made at run time to the rate tiers (scripts/rate-limit-upgrade.ts; docs/rate-limiting.md).
 * Run it once right after deploying this version, and with --remove-plans once the key
 * worker's queue is empty. Needs the deployed stack's settings (its outputs name them) and
 * an operator's AWS credentials: no function of the stack may change a usage plan.
 */

const usage = `Usage: npm run upgrade-rate-limits -- [--remove-plans]
  (no option)     index every token and policy with a limit or a key, count it, and queue it for the key worker
  --remove-plans  delete the earlier version's usage plans, bridge keys and records no token uses any more
Environment: TABLE_NAME, AWS_REGION, REST_API_ID, API_STAGE, KEY_QUEUE_URL, and AWS credentials.`;

async function main(): Promise<number> {
  const values = commandLine(usage, { 'remove-plans': { type: 'boolean', default: false } });
  if (typeof values === 'number') return values;
  const config = readConfig(process.env);
  if (!config.apiGateway?.keyQueueUrl) {
    console.error(`No key queue to hand the work to.\n${usage}`);
    return 2;
  }
  const clock = () => new Date();
  const parts = {
    documents: createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint }),
    tableName: config.tableName,
    queue: new QueuedKeyChanges(new SQSClient({ region: config.region }), config.apiGateway.keyQueueUrl, clock),
    clock,
  };
  if (!values['remove-plans']) {
    const report = await adopt(parts);
    console.log(
      `${report.indexed} tokens and policies indexed and queued for the key worker; ${report.stamped} keys of the ` +
        `earlier version kept in use until moved; ${report.pendingRemoved} unfinished creates removed. When the key ` +
        'queue is empty, run again with --remove-plans.',
    );
    return 0;
  }
  const report = await removePlans({
    ...parts,
    client: new APIGatewayClient({ region: config.region }),
    pacer: new Pacer({ callsPerSecond: 1 }),
    stage: config.apiGateway,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  console.log(
    `${report.removed.length} usage plans of the earlier version removed, ${report.keysDeleted} of its keys deleted.`,
  );
  if (report.kept.length === 0) return 0;
  console.log(
    `${report.kept.length} still hold a token's key (${report.kept.join(', ')}): run again once the queue is empty.`,
  );
  return 1;
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
