import { spawn } from 'node:child_process';
import { startDynamoDbLocal } from '../infra/local/dynamodb-local.js';

/**
 * `npm test`: starts one DynamoDB Local (in memory, free port) for the whole run, runs
 * every test file with Node's test runner (each file makes its own table), then stops
 * it. Arguments select files: `npm test -- test/unit/*.test.ts`.
 */
const files = process.argv.slice(2);
const dynamodb = await startDynamoDbLocal();
let code = 1;
try {
  code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=2', ...(files.length > 0 ? files : ['test/**/*.test.ts'])],
      { stdio: 'inherit', env: { ...process.env, DYNAMODB_ENDPOINT: dynamodb.endpoint, POWERTOOLS_METRICS_DISABLED: 'true' } },
    );
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
} finally {
  await dynamodb.stop();
}
process.exit(code);
