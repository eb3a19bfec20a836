import type { Config, Environment } from '../../shared/kernel/config.js';
import { chooseServer, NoServerError, type RunningServer } from './servers.js';

/** The table a command-line tool works on, and the `npm start` it belongs to when it is one. */
export interface TableTarget {
  env: Environment;
  server?: RunningServer;
}

/**
 * The environment of a command-line tool: the `npm start` at `url` when given; else the
 * table DYNAMODB_ENDPOINT or AWS_REGION names (a table in AWS, say); else the only
 * `npm start` running in this folder. Without any of them it refuses (NoServerError)
 * rather than let the AWS SDK look for credentials nobody meant it to use.
 */
export function tableTarget(env: Environment, url?: string): TableTarget {
  if (url === undefined && (env.DYNAMODB_ENDPOINT || env.AWS_REGION)) return { env };
  const server = chooseServer(url);
  return { env: { ...env, DYNAMODB_ENDPOINT: server.dynamodbEndpoint, TABLE_NAME: server.tableName }, server };
}

/** What a tool works on, in the words of its one line on stderr (stdout stays its answer). */
export function describeTarget(tool: string, config: Config, server?: RunningServer): string {
  if (server) return `${tool}: npm start at ${server.url} (table ${config.tableName})`;
  if (config.dynamodbEndpoint)
    return `${tool}: table ${config.tableName} at ${config.dynamodbEndpoint} (DYNAMODB_ENDPOINT)`;
  return `${tool}: table ${config.tableName} in AWS, region ${config.region}`;
}

/**
 * Runs a command-line tool's work on a runtime and lets its clients go after. What keeps
 * it from the table is said in one line (exit 1): a missing table, a DynamoDB that does
 * not answer, no AWS credentials; anything else is the tool's to report.
 */
export async function againstTable(
  tool: string,
  runtime: { config: Config; documents: { destroy(): void } },
  work: () => Promise<number>,
): Promise<number> {
  const { tableName, dynamodbEndpoint, region } = runtime.config;
  try {
    return await work();
  } catch (error) {
    const { name, code } = error as { name?: string; code?: string };
    if (name === 'ResourceNotFoundException') {
      console.error(`${tool}: table ${tableName} not found: start the service (npm start) or set TABLE_NAME.`);
      return 1;
    }
    if (dynamodbEndpoint && code === 'ECONNREFUSED') {
      console.error(`${tool}: no DynamoDB answers at ${dynamodbEndpoint}: has its npm start stopped?`);
      return 1;
    }
    if (name === 'CredentialsProviderError') {
      console.error(
        `${tool}: no AWS credentials for table ${tableName} in region ${region}: ` +
          'sign in to AWS, or unset AWS_REGION to use the npm start of this folder.',
      );
      return 1;
    }
    throw error;
  } finally {
    runtime.documents.destroy();
  }
}

/** A helper's refusal to find a server, as its one line; anything else is not ours to word. */
export function refusal(tool: string, error: unknown): string | undefined {
  return error instanceof NoServerError ? `${tool}: ${error.message}` : undefined;
}
