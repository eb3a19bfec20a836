import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Environment, readConfig } from '../../shared/config.js';
import { DirectoryError } from '../../shared/directory/directory.js';
import { importDeps, importDirectory } from '../../shared/directory/import.js';
import { apiGatewayKeys } from '../../shared/ratelimit/aws-wiring.js';
import { createRuntime } from '../../shared/runtime.js';
import { readDirectoryFile } from './directory-file.js';
import { RUNTIME_FILE } from './paths.js';

/**
 * `npm run directory -- import <file> [--replace]`: imports a directory file into the
 * configured table (TABLE_NAME, DYNAMODB_ENDPOINT, or in AWS the default credentials and
 * REST_API_ID/API_STAGE, so that deleted tokens lose their API keys too). With none of
 * them set, it uses the instance `npm start` is running.
 */
const usage = 'Usage: npm run directory -- import <file> [--replace]';

/** The environment, pointed at the running `npm start` when nothing else is configured. */
function environment(): Environment {
  if (process.env.DYNAMODB_ENDPOINT || process.env.AWS_REGION || !existsSync(RUNTIME_FILE)) return process.env;
  const running = JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as { dynamodbEndpoint: string; tableName: string };
  return { ...process.env, DYNAMODB_ENDPOINT: running.dynamodbEndpoint, TABLE_NAME: process.env.TABLE_NAME ?? running.tableName };
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { replace: { type: 'boolean', default: false } } });
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  const [command, file, ...rest] = parsed.positionals;
  if (command !== 'import' || !file || rest.length > 0) {
    console.error(usage);
    return 2;
  }
  const directory = readDirectoryFile(file);
  const settings = readConfig(environment());
  const runtime = createRuntime(settings, {}, [apiGatewayKeys]);
  try {
    const result = await importDirectory(importDeps(runtime), directory, { replace: parsed.values.replace });
    const where = `${settings.tableName}${settings.dynamodbEndpoint ? ` at ${settings.dynamodbEndpoint}` : ''}`;
    const tokens =
      result.tokensDeleted === 0
        ? ''
        : ` Deleted ${result.tokensDeleted} token(s) of ${result.accountsRetired.length} account(s) no longer service accounts: ${result.accountsRetired.join(', ')}.`;
    console.log(`Imported ${file} into ${where}: ${result.written} written, ${result.deleted} removed, ${result.unchanged} unchanged.${tokens}`);
    return 0;
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      console.error(`Table ${settings.tableName} not found: start the service (npm start) or set TABLE_NAME.`);
      return 1;
    }
    throw error;
  } finally {
    runtime.documents.destroy();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(error instanceof DirectoryError ? error.message : `Import failed: ${(error as Error).message ?? error}`);
    process.exit(1);
  });
