import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import AxeBuilder from '@axe-core/playwright';
import { afterAll, beforeAll } from '@jest/globals';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildConsole } from '../../infra/local/console-build.js';
import { devAccessToken } from '../../infra/local/dev-token-client.js';
import { PROJECT_ROOT } from '../../infra/local/paths.js';
import { npmStart as startNpm, type Started } from '../support/npm-start.js';

export type { Started };

/**
 * The browser tests' world: `npm start` as a newcomer runs it (on the run's DynamoDB
 * Local, its own table), Debian's Chromium driven by playwright-core, and the screenshots
 * they leave in test-artifacts/console/.
 */
export const ARTIFACTS = resolve(PROJECT_ROOT, 'test-artifacts/console');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * `npm start` as a newcomer runs it, on the run's DynamoDB Local with a table of its own:
 * each browser test file starts one, and two files may share a worker (and its pid). Each
 * keeps its state in a folder of its own, as `npm start` allows one data-keeping instance
 * per state folder and the browser test files run side by side.
 */
export const npmStart = (env: NodeJS.ProcessEnv = {}): Promise<Started> =>
  startNpm([], {
    TABLE_NAME: `console-${process.pid}-${randomUUID().slice(0, 8)}`,
    LOCAL_STATE_DIR: mkdtempSync(join(tmpdir(), 'sat-console-')),
    ...env,
  });

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/**
 * The browser server a run's console files share, as a process of its own: it writes its
 * address where the others find it, and ends when the test run that started it does (the
 * global teardown stops it; a run killed outright leaves nothing behind either).
 */
const BROWSER_SERVER = `
import { renameSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
const [executablePath, folder, runPid, args] = process.argv.slice(1);
const server = await chromium.launchServer({ executablePath, args: JSON.parse(args) });
const stop = async () => { await server.close(); process.exit(0); };
process.on('SIGTERM', stop);
setInterval(() => { try { process.kill(Number(runPid), 0); } catch { stop(); } }, 1000);
writeFileSync(folder + '/server.tmp', JSON.stringify({ pid: process.pid, wsEndpoint: server.wsEndpoint() }));
renameSync(folder + '/server.tmp', folder + '/server.json');
`;

/**
 * Chromium for a console test file. Within a test run (whose global setup gives it a
 * state folder), one browser serves every console file: the first file to ask starts it,
 * the others connect. Each file still has its own contexts (cookies, storage, clipboard
 * permissions), so the files stay as independent as with a browser each, and six
 * browser start-ups are saved.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const state = process.env.LOCAL_STATE_DIR;
  if (!state) return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  // Where the run's browser server says where it is (test/support/global-teardown.mts stops it).
  const folder = join(state, 'chromium');
  const address = join(folder, 'server.json');
  try {
    // Whoever makes the folder starts the server; everyone waits for its address.
    mkdirSync(folder);
    const server = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        BROWSER_SERVER,
        CHROMIUM,
        folder,
        String(process.ppid),
        JSON.stringify(CHROMIUM_ARGS),
      ],
      { cwd: PROJECT_ROOT, detached: true, stdio: 'ignore' },
    );
    server.unref();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const deadline = Date.now() + 60_000;
  while (!existsSync(address)) {
    if (Date.now() > deadline) throw new Error(`The run's Chromium did not start (no ${address})`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  const { wsEndpoint } = JSON.parse(readFileSync(address, 'utf8')) as { wsEndpoint: string };
  return chromium.connect(wsEndpoint);
}

export const DESKTOP = { width: 1366, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function newContext(browser: Browser, base: string, viewport = DESKTOP): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  return context;
}

/** Opens `hash` signed out, signs in through the provider's own page, and lands back there. */
export async function signIn(
  page: Page,
  base: string,
  userId: string,
  hash: string,
  onProviderPage?: () => Promise<void>,
): Promise<void> {
  await page.goto(`${base}/console/${hash}`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('User id').waitFor();
  await onProviderPage?.();
  await page.getByLabel('User id').fill(userId);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/console/' && url.search === '' && url.hash === hash);
}

/** The Access Tokens row of a token, by its name (the start of the row's header: its prefix follows). */
export const row = (page: Page, name: string) => {
  const header = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`);
  return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: header }) });
};

/** Opens a token's Actions menu and chooses an item. */
export async function chooseAction(page: Page, token: string, item: string): Promise<void> {
  await page.getByRole('button', { name: `Actions for ${token}`, exact: true }).click();
  await page.getByRole('menuitem', { name: item, exact: true }).click();
}

/** Whether the page scrolls sideways. */
export const scrollsSideways = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);

/** A caller of the API as a person of the directory (a JWT from the local provider), on an account's domain path. */
export async function apiAs(base: string, userId: string, account = 'sa-etl', domain = 'finance') {
  const jwt = await devAccessToken(`${base}/oidc`, userId);
  const root = `${base}/api/v1/domains/${domain}/auth/service-accounts/${account}`;
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${root}${path}`, {
      method,
      headers: { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}

/** The status `whoami` answers a token with: 200 while it works. */
export const whoamiWith = async (base: string, token: string) =>
  (await fetch(`${base}/api/v1/auth/whoami`, { headers: { 'X-API-Token': token } })).status;

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** axe-core's serious and critical findings on the page as it is now (WCAG 2.x A and AA, and best practice). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page: page as never })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
}

/** Whether any string reachable from the page's JavaScript holds `secret` (a heap snapshot after a full GC). */
export async function heapHolds(page: Page, secret: string): Promise<boolean> {
  const cdp = await page.context().newCDPSession(page);
  const chunks: string[] = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => chunks.push(chunk));
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  return chunks.join('').includes(secret);
}

/** The console's JavaScript, gzipped, in bytes: what a first visit downloads. */
export async function consoleScriptBytes(): Promise<{ raw: number; gzip: number }> {
  const assets = join(await buildConsole(), 'assets');
  let raw = 0;
  let gzip = 0;
  for (const file of readdirSync(assets).filter((name) => name.endsWith('.js'))) {
    const content = readFileSync(join(assets, file));
    raw += content.length;
    gzip += gzipSync(content, { level: 9 }).length;
  }
  return { raw, gzip };
}

/**
 * One test file's world: `npm start` (with `env` added) and Chromium, started before its
 * tests and stopped after; `pageFor` signs a person in, in a fresh context, at an address.
 */
export function consoleWorld(env: NodeJS.ProcessEnv = {}) {
  const tableName = `console-${process.pid}-${randomUUID().slice(0, 8)}`;
  let server: Started | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    [server, browser] = await Promise.all([npmStart({ TABLE_NAME: tableName, ...env }), launchChromium()]);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.stop();
  });
  return {
    tableName,
    get base(): string {
      return server!.base;
    },
    async pageFor(userId: string, hash: string, viewport = DESKTOP): Promise<Page> {
      const context = await newContext(browser!, server!.base, viewport);
      contexts.push(context);
      const page = await context.newPage();
      await signIn(page, server!.base, userId, hash);
      return page;
    },
  };
}
