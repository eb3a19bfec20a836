import { rmSync } from 'node:fs';
import { relative } from 'node:path';
import { DirectoryError } from '../../shared/directory/directory.js';
import { readDirectoryFile } from './directory-file.js';
import { JavaMissingError } from './dynamodb-local.js';
import { DEFAULT_DIRECTORY_FILE, EVENTS_FILE, STATE_DIR } from './paths.js';
import { type LocalService, startLocalService } from './service.js';
import { claimData, inMemoryEventsFile, pruneInMemoryEvents, runningServers } from './servers.js';
import { commandLine } from './command-line.js';

/** `npm start`: the whole service on one machine, no AWS account and no Docker. */

/** A path as the user would type it: relative to the working directory when below it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? `${rel}/` : `${path}/`;
}

function forgetEvents(file: string): void {
  for (const name of [file, `${file}.checkpoint.json`]) rmSync(name, { force: true });
}

const usage = `Usage: npm start -- [--port N] [--directory FILE] [--in-memory]
  --port N          port to serve on (default 3000)
  --directory FILE  directory file to import (default examples/directory.json)
  --in-memory       keep no data (default: data kept under .local/; one such npm start at a time,
                    any number --in-memory beside it)`;

async function main(): Promise<void> {
  const values = commandLine(usage, {
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    directory: { type: 'string', default: DEFAULT_DIRECTORY_FILE },
    'in-memory': { type: 'boolean', default: false },
  });
  if (typeof values === 'number') process.exit(values);
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
  const inMemory = values['in-memory'];
  // One npm start at a time keeps its data (and audit events) in the state folder; any
  // number that keep none may run beside it, each with an events file of its own.
  if (!inMemory) {
    const claim = claimData();
    if ('heldBy' in claim) {
      const holder = runningServers().find((server) => server.pid === claim.heldBy);
      const where = holder ? `at ${holder.url}` : 'and still starting';
      console.error(
        `npm start is already running in this folder ${where} (pid ${claim.heldBy}), keeping its data in ` +
          `${shown(STATE_DIR)}: use it, stop it first, or start this one with --in-memory.`,
      );
      process.exit(1);
    }
    process.on('exit', claim.release);
  }
  pruneInMemoryEvents();
  const eventsFile = inMemory ? inMemoryEventsFile() : EVENTS_FILE;
  // Data kept in memory only: its events go with it.
  if (inMemory) process.on('exit', () => forgetEvents(eventsFile));
  service = await startLocalService({
    port,
    directory,
    // Local logs stay quiet unless asked for; every request still gets one access line.
    // A CI stand-in on this machine may be a federation issuer (never in AWS).
    env: { POWERTOOLS_LOG_LEVEL: 'WARN', FEDERATION_ALLOW_LOOPBACK_ISSUERS: 'true', ...process.env },
    inMemory,
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
  const kept = inMemory ? 'in memory' : `data in ${shown(STATE_DIR)}`;
  const where = `DynamoDB Local ${service.dynamodbEndpoint}, table ${service.tableName}, ${kept}`;
  console.log(`Service account tokens API on ${base}  (${where})
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
The README has the full walkthrough; docs/local.md the helpers. Ctrl-C stops.`);
}

main().catch((error: unknown) => {
  if (error instanceof DirectoryError || error instanceof JavaMissingError) {
    console.error(error.message);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    const port = (error as { port?: number }).port;
    const here = runningServers().find((server) => new URL(server.url).port === String(port));
    console.error(
      here
        ? `Port ${port} is taken by the npm start already running in this folder at ${here.url} (pid ${here.pid}): ` +
            'use it, or pick another port with npm start -- --port N'
        : `Port in use: ${(error as Error).message}. Pick another with npm start -- --port N`,
    );
  } else {
    console.error(error);
  }
  process.exit(1);
});
