import { existsSync, readFileSync } from 'node:fs';
import type { Environment } from '../../shared/kernel/config.js';
import { RUNTIME_FILE } from './paths.js';

/**
 * The environment of a command-line tool, pointed at the instance `npm start` is running
 * when nothing else is configured (no DYNAMODB_ENDPOINT, no AWS_REGION).
 */
export function localEnvironment(env: Environment = process.env): Environment {
  if (env.DYNAMODB_ENDPOINT || env.AWS_REGION || !existsSync(RUNTIME_FILE)) return env;
  const running = JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as { dynamodbEndpoint: string; tableName: string };
  return { ...env, DYNAMODB_ENDPOINT: running.dynamodbEndpoint, TABLE_NAME: env.TABLE_NAME ?? running.tableName };
}

/**
 * Runs a command-line tool's work on a runtime and lets its clients go after: a missing
 * table is said in one line (exit 1), anything else is the tool's to report.
 */
export async function againstTable(
  runtime: { config: { tableName: string }; documents: { destroy(): void } },
  work: () => Promise<number>,
): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      console.error(`Table ${runtime.config.tableName} not found: start the service (npm start) or set TABLE_NAME.`);
      return 1;
    }
    throw error;
  } finally {
    runtime.documents.destroy();
  }
}
