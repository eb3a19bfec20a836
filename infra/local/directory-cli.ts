import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { config } from '../../shared/config.js';
import { DirectoryError } from '../../shared/directory/directory.js';
import { DynamoDirectoryStore } from '../../shared/store/directory-store.js';
import { createDocumentClient } from '../../shared/store/dynamodb.js';
import { readDirectoryFile } from './directory-file.js';
import { RUNTIME_FILE } from './paths.js';

/**
 * `npm run directory -- import <file> [--replace]`: imports a directory file into the
 * configured table (TABLE_NAME, DYNAMODB_ENDPOINT, or in AWS the default credentials).
 * With neither set, it uses the instance `npm start` is running.
 */
const usage = 'Usage: npm run directory -- import <file> [--replace]';

function main(): Promise<void> | void {
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
  if (!process.env.DYNAMODB_ENDPOINT && !process.env.AWS_REGION && existsSync(RUNTIME_FILE)) {
    const running = JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as { dynamodbEndpoint: string; tableName: string };
    process.env.DYNAMODB_ENDPOINT = running.dynamodbEndpoint;
    process.env.TABLE_NAME ??= running.tableName;
  }
  const settings = config();
  const store = new DynamoDirectoryStore(createDocumentClient(), settings.tableName);
  return store.importDirectory(directory, { replace: parsed.values.replace }).then((result) => {
    console.log(
      `Imported ${file} into ${settings.tableName}${settings.dynamodbEndpoint ? ` at ${settings.dynamodbEndpoint}` : ''}: ` +
        `${result.written} written, ${result.deleted} removed, ${result.unchanged} unchanged.`,
    );
  });
}

Promise.resolve()
  .then(main)
  .catch((error: unknown) => {
    if (error instanceof DirectoryError) console.error(error.message);
    else if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      console.error(`Table ${config().tableName} not found: start the service (npm start) or set TABLE_NAME.`);
    } else console.error(`Import failed: ${(error as Error).message ?? error}`);
    process.exit(1);
  });
