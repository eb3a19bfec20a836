import { createHash, randomUUID } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { LOCAL_DIR, PROJECT_ROOT } from './paths.js';

/**
 * The console's production build (Vite), kept under `.local/console/<hash>` where the
 * hash covers its sources, the API contract and the lock file: `npm start` builds only
 * when they changed, and the CDK stack deploys the same output. A build is written to a
 * temporary folder and renamed into place, so two processes building at once both end
 * with a whole one.
 */
export const CONSOLE_ROOT = resolve(PROJECT_ROOT, 'console');
const BUILDS = resolve(LOCAL_DIR, 'console');
const CONTRACT = resolve(PROJECT_ROOT, 'docs/openapi.json');
/** The API client's types, generated from the contract (never committed). */
export const API_TYPES = resolve(CONSOLE_ROOT, 'src/api/schema.ts');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : files(path);
      return path === API_TYPES ? [] : [path];
    })
    .sort();
}

/**
 * Writes the API client's types from docs/openapi.json (openapi-typescript), when they
 * differ: the console's client is generated from the contract the tests hold the API to.
 */
export async function writeApiTypes(): Promise<void> {
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  const document = JSON.parse(readFileSync(CONTRACT, 'utf8')) as Record<string, unknown>;
  const types =
    `// Generated from docs/openapi.json by infra/local/console-build.ts: do not ` +
    // A default is what the API applies when a field is left out: optional in what the console sends.
    `edit.\n\n${astToString(await openapiTS(document as never, { defaultNonNullable: false }))}`;
  if (!existsSync(API_TYPES) || readFileSync(API_TYPES, 'utf8') !== types) writeFileSync(API_TYPES, types);
}

/**
 * A hash of everything the build reads: the console's sources, the contract, the locked dependencies and this recipe.
 */
export function consoleSourceHash(): string {
  const hash = createHash('sha256');
  // This file too: how the console is built is part of what the build is.
  for (const file of [
    ...files(CONSOLE_ROOT),
    CONTRACT,
    resolve(PROJECT_ROOT, 'package-lock.json'),
    import.meta.filename,
  ]) {
    hash.update(relative(PROJECT_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** The folder of the current build, built first if there is none. */
export async function buildConsole(): Promise<string> {
  const hash = consoleSourceHash();
  const dir = resolve(BUILDS, hash);
  if (existsSync(join(dir, 'index.html'))) return dir;
  const temporary = `${dir}.${process.pid}.${randomUUID()}.tmp`;
  await writeApiTypes();
  const { build } = await import('vite');
  // Always the production build: Vite takes NODE_ENV from the environment, and a test
  // runner's (NODE_ENV=test) would put the libraries' development code into the cache.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: resolve(CONSOLE_ROOT, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir: temporary, emptyOutDir: true },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  try {
    renameSync(temporary, dir);
  } catch (error) {
    // Another process finished the same build first: use its.
    rmSync(temporary, { recursive: true, force: true });
    if (!existsSync(join(dir, 'index.html'))) throw error;
  }
  removeOldBuilds(hash);
  return dir;
}

/** Older builds (and temporary folders a killed build left), once a day old. */
function removeOldBuilds(current: string): void {
  const dayAgo = Date.now() - 86_400_000;
  for (const name of readdirSync(BUILDS)) {
    const path = resolve(BUILDS, name);
    if (name !== current && statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
  }
}

/** Copies the current build into `outDir` (the CDK's asset bundling calls this). */
export async function copyConsoleBuild(outDir: string): Promise<void> {
  cpSync(await buildConsole(), outDir, { recursive: true });
}

// `node --import tsx infra/local/console-build.ts [--types | outDir]`: writes the API types
// only (typecheck), or builds and copies the build into outDir when given (the CDK stack
// bundles the console's asset this way).
if (import.meta.url === `file://${process.argv[1]}`) {
  const [argument] = process.argv.slice(2);
  if (argument === '--types') {
    await writeApiTypes();
  } else {
    const dir = await buildConsole();
    if (argument) await copyConsoleBuild(argument);
    console.log(argument ?? dir);
  }
}
