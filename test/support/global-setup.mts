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
  const { startDynamoDbLocal } = (await tsImport('../../infra/local/dynamodb-local.ts', import.meta.url)) as typeof import('../../infra/local/dynamodb-local.js');
  const dynamodb = await startDynamoDbLocal();
  process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint;
  (globalThis as { __dynamodbLocal__?: { stop(): Promise<void> } }).__dynamodbLocal__ = dynamodb;
}
