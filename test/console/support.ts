import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildConsole } from '../../infra/local/console-build.js';
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

/** `npm start` as a newcomer runs it, on the run's DynamoDB Local with its own table. */
export const npmStart = (): Promise<Started> => startNpm([], { TABLE_NAME: `console-${process.pid}` });

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
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
