import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readConfig } from '../../shared/config.js';
import { DirectoryError } from '../../shared/directory/directory.js';
import { importDirectory } from '../../shared/directory/import.js';
import { createRuntime } from '../../shared/runtime.js';
import { readDirectoryFile } from './directory-file.js';
import { RUNTIME_FILE } from './paths.js';

/**
 * `npm run directory -- import <file> [--replace]`: imports a directory file into the
 * configured table (TABLE_NAME, DYNAMODB_ENDPOINT, or in AWS the default credentials).
 * With neither set, it uses the instance `npm start` is running.
 */
const usage = 'Usage: npm run directory -- import <file> [--replace]';

interface Target {
  tableName: string;
}

function main(target: Target): Promise<void> | void {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { replace: { type: 'boolean', default: false } } });
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  const [command, file, ...rest] = parsed.positionals;
  if (command !== 'import' || !file || rest.length > 0) {
    console.error(usage);
    process.exit(2);
  }
  const directory = readDirectoryFile(file);
  const settings = readConfig(environment());
  target.tableName = settings.tableName;
  const runtime = createRuntime(settings);
  return importDirectory(runtime.directory, directory, { replace: parsed.values.replace }).then((result) => {
    console.log(
      `Imported ${file} into ${settings.tableName}${settings.dynamodbEndpoint ? ` at ${settings.dynamodbEndpoint}` : ''}: ` +
        `${result.written} written, ${result.deleted} removed, ${result.unchanged} unchanged.`,
    );
  });
}

/** The environment, pointed at the running `npm start` when nothing else is configured. */
function environment(): Record<string, string | undefined> {
  if (process.env.DYNAMODB_ENDPOINT || process.env.AWS_REGION || !existsSync(RUNTIME_FILE)) return process.env;
  const running = JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as { dynamodbEndpoint: string; tableName: string };
  return { ...process.env, DYNAMODB_ENDPOINT: running.dynamodbEndpoint, TABLE_NAME: process.env.TABLE_NAME ?? running.tableName };
}

const target: Target = { tableName: 'the table' };
Promise.resolve()
  .then(() => main(target))
  .catch((error: unknown) => {
    if (error instanceof DirectoryError) console.error(error.message);
    else if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      console.error(`Table ${target.tableName} not found: start the service (npm start) or set TABLE_NAME.`);
    } else console.error(`Import failed: ${(error as Error).message ?? error}`);
    process.exit(1);
  });
