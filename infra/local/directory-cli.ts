import { parseArgs } from 'node:util';
import { readConfig } from '../../shared/kernel/config.js';
import { DirectoryError } from '../../shared/directory/directory.js';
import { importDeps, importDirectory } from '../../shared/directory/import.js';
import { keyQueue } from '../../shared/ratelimit/key-queue.js';
import { createRuntime } from '../../shared/runtime/runtime.js';
import { readDirectoryFile } from './directory-file.js';
import { againstTable, describeTarget, refusal, tableTarget } from './running.js';

/**
 * `npm run directory -- import <file> [--replace] [--url <npm start>]`: imports a directory
 * file into the configured table (TABLE_NAME, DYNAMODB_ENDPOINT, or in AWS the default
 * credentials, AWS_REGION and REST_API_ID/API_STAGE, so that deleted tokens lose their API
 * keys too). With none of them set, or with `--url`, it uses an instance `npm start` is
 * running. It says on stderr what it works on.
 */
const usage = "Usage: npm run directory -- import <file> [--replace] [--url <npm start's address>]";

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { replace: { type: 'boolean', default: false }, url: { type: 'string' } },
    });
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
  const target = tableTarget(process.env, parsed.values.url);
  const settings = readConfig(target.env);
  console.error(describeTarget('directory', settings, target.server));
  const runtime = createRuntime(settings, {}, [keyQueue]);
  return againstTable('directory', runtime, async () => {
    const result = await importDirectory(importDeps(runtime), directory, { replace: parsed.values.replace });
    const where = `${settings.tableName}${settings.dynamodbEndpoint ? ` at ${settings.dynamodbEndpoint}` : ''}`;
    const tokens =
      result.tokensDeleted + result.policiesDeleted === 0
        ? ''
        : ` Deleted ${result.tokensDeleted} token(s) of ${result.accountsRetired.length} account(s) no longer ` +
          `service accounts: ${result.accountsRetired.join(', ')}.` +
          (result.policiesDeleted === 0
            ? ''
            : ` Their ${result.policiesDeleted} federation ` +
              `polic${result.policiesDeleted === 1 ? 'y was' : 'ies were'} deleted too.`);
    console.log(
      `Imported ${file} into ${where}: ${result.written} written, ${result.deleted} removed, ${result.unchanged} ` +
        `unchanged.${tokens}`,
    );
    return 0;
  });
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(
      refusal('directory', error) ??
        (error instanceof DirectoryError ? error.message : `Import failed: ${(error as Error).message ?? error}`),
    );
    process.exit(1);
  });
