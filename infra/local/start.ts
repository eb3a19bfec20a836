import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DirectoryError } from '../../shared/directory/directory.js';
import { readDirectoryFile } from './directory-file.js';
import { JavaMissingError } from './dynamodb-local.js';
import { DEFAULT_DIRECTORY_FILE, EVENTS_FILE, IN_MEMORY_EVENTS_FILE } from './paths.js';
import { type LocalService, startLocalService } from './service.js';

/** `npm start`: the whole service on one machine, no AWS account and no Docker. */

const usage = `Usage: npm start -- [--port N] [--directory FILE] [--in-memory]
  --port N          port to serve on (default 3000)
  --directory FILE  directory file to import (default examples/directory.json)
  --in-memory       keep no data (default: data kept under .local/)`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: process.env.PORT ?? '3000' },
        directory: { type: 'string', default: DEFAULT_DIRECTORY_FILE },
        'in-memory': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number, got "${values.port}"\n${usage}`);
    process.exit(2);
  }
  // Stopping is possible from the first moment: a signal while DynamoDB Local is starting
  // would otherwise end this process and leave its DynamoDB Local running.
  let service: LocalService | undefined;
  let stopping = false;
  const stopAndExit = async (started: LocalService) => {
    await started.stop();
    process.exit(0);
  };
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Not started yet: the start below stops it as soon as it can.
    if (service) await stopAndExit(service);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const directory = readDirectoryFile(values.directory);
  const eventsFile = values['in-memory'] ? IN_MEMORY_EVENTS_FILE : EVENTS_FILE;
  // Data kept in memory only: its events start afresh too.
  if (values['in-memory'])
    for (const file of [eventsFile, `${eventsFile}.checkpoint.json`]) rmSync(file, { force: true });
  service = await startLocalService({
    port,
    directory,
    // Local logs stay quiet unless asked for; every request still gets one access line.
    // A CI stand-in on this machine may be a federation issuer (never in AWS).
    env: { POWERTOOLS_LOG_LEVEL: 'WARN', FEDERATION_ALLOW_LOOPBACK_ISSUERS: 'true', ...process.env },
    inMemory: values['in-memory'],
    // An existing DynamoDB (another DynamoDB Local, say) instead of the bundled one.
    ...(process.env.DYNAMODB_ENDPOINT ? { dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT } : {}),
    announce: true,
    console: true,
    eventsFile,
    onRequest: ({ method, path, status, ms }) =>
      console.log(`${new Date().toISOString()} ${method} ${path} ${status} ${ms}ms`),
  });
  if (stopping) await stopAndExit(service);
  const base = service.url;
  const data = values['in-memory'] ? 'in memory' : 'data in .local/';
  const table = `DynamoDB Local ${service.dynamodbEndpoint}, table ${service.tableName}, ${data}`;
  console.log(`Service account tokens API on ${base}  (${table})
Directory: ${values.directory} (${service.imported.written} items written, ${service.imported.unchanged} unchanged)
Console:   ${base}/console/  (sign in as a person of the directory, e.g. alice)
OpenID provider (local, no passwords): ${service.issuer}
Audit events: appended to ${eventsFile}

Try it (another terminal):
  JWT=$(npm run -s dev-token -- alice)
  curl -s -X POST ${base}/api/v1/domains/finance/auth/service-accounts/sa-etl/tokens \\
    -H "Authorization: Bearer $JWT" -H 'Content-Type: application/json' -d '{"name":"ci","maxRps":5}'
  # copy "token" from the answer (shown once), then:
  curl -s ${base}/api/v1/auth/whoami -H "X-API-Token: <token>"
  curl -s ${base}/api/v1/domains/finance/auth/service-accounts/sa-etl/tokens -H "Authorization: Bearer $JWT"
The README has the full walkthrough. Ctrl-C stops.`);
}

main().catch((error: unknown) => {
  if (error instanceof DirectoryError || error instanceof JavaMissingError) {
    console.error(error.message);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Port in use: ${(error as Error).message}. Pick another with npm start -- --port N`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
