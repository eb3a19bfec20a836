import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

/**
 * Starts one DynamoDB Local (in memory, on a free port) for the whole jest run. Each
 * test file makes its own table in it. The endpoint reaches the test workers through
 * the environment they inherit; the teardown stops it.
 *
 * A `.mts` file: jest loads global setup outside the ESM transform, where project
 * modules are reached through tsx.
 */
export default async function globalSetup(): Promise<void> {
  const { startDynamoDbLocal } = (await tsImport(
    '../../infra/local/dynamodb-local.ts',
    import.meta.url,
  )) as typeof import('../../infra/local/dynamodb-local.js');
  // A test run is short and throws thousands of different requests at DynamoDB Local:
  // its JVM's optimizing compiler spent more CPU than the requests themselves, so the run
  // keeps to the quick first tier; and to one collector thread (G1's parallel ones only
  // compete with the test workers on a small machine). The spawned JVMs (this one, and
  // those of the npm start processes some tests run) read this from the environment they inherit.
  const jvm = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
  process.env.JAVA_TOOL_OPTIONS = [process.env.JAVA_TOOL_OPTIONS, ...jvm].filter(Boolean).join(' ');
  // The npm starts the tests run announce themselves, keep data and write events in a state
  // folder of the run's own: the helpers of a developer's own npm start never see them.
  process.env.LOCAL_STATE_DIR = mkdtempSync(join(tmpdir(), 'sat-test-state-'));
  const dynamodb = await startDynamoDbLocal();
  process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint;
  (globalThis as { __dynamodbLocal__?: { stop(): Promise<void> } }).__dynamodbLocal__ = dynamodb;
}
