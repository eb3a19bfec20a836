/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Functions passed to page.evaluate run in the browser.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { devAccessToken } from '../../infra/local/dev-token-client.js';
import {
  ARTIFACTS,
  consoleScriptBytes,
  launchChromium,
  newContext,
  npmStart,
  row,
  screenshot,
  seriousViolations,
  signIn,
  type Started,
} from './support.js';

/**
 * The console in a real browser (Debian's Chromium, playwright-core) against `npm start`,
 * signing in through the local OpenID provider's own page, walking the paths by the names
 * people see. Screenshots of the main states go to test-artifacts/console/.
 */
const SA_ETL = '#/domains/finance/members/sa-etl/tokens';
const measurements: Record<string, number | number[]> = {};
let server: Started;
let browser: Browser;
let base: string;
const contexts: BrowserContext[] = [];

async function pageFor(userId: string, hash: string, viewport?: { width: number; height: number }): Promise<Page> {
  const context = await newContext(browser, base, viewport);
  contexts.push(context);
  const page = await context.newPage();
  await signIn(page, base, userId, hash);
  return page;
}

beforeAll(async () => {
  [server, browser] = await Promise.all([npmStart(), launchChromium()]);
  base = server.base;
});

afterAll(async () => {
  writeFileSync(join(ARTIFACTS, 'measurements.json'), `${JSON.stringify(measurements, null, 2)}\n`);
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

describe('signing in', () => {
  it('shows a signed-out page, signs in through the provider’s page, and lands on the deep link', async () => {
    const context = await newContext(browser, base);
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${base}/console/${SA_ETL}`);
    await screenshot(page, 'signed-out');
    expect(await seriousViolations(page)).toStrictEqual([]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('User id').fill('sa-etl');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(
      /service accounts authenticate with access tokens/,
    );
    await screenshot(page, 'provider-sign-in');
    expect(await seriousViolations(page)).toStrictEqual([]);
    await page.getByLabel('User id').fill('alice');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('tab', { name: 'Access Tokens', selected: true }).waitFor();
    expect(new URL(page.url()).hash).toBe(SA_ETL);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    // Signed out at the provider too: signing in asks again.
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('User id').waitFor();
  });
});

describe('navigation', () => {
  it('Settings › Members leads to an account; the Access Tokens tab is there for a service account and absent for a person', async () => {
    const page = await pageFor('alice', '#/domains');
    expect(await page.getByRole('link', { name: 'Admin › Users' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Settings › Members' }).click();
    await page.getByRole('table', { name: 'Members of finance' }).waitFor();
    await screenshot(page, 'members');
    expect(await seriousViolations(page)).toStrictEqual([]);
    await page.getByRole('link', { name: 'bob' }).click();
    await page.getByRole('tab', { name: 'Details' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/domains/finance/members/bob');
    expect(await page.getByRole('tab').allTextContents()).toStrictEqual(['Details']);
    await page.goBack();
    await page.getByRole('link', { name: 'sa-etl' }).click();
    await page.getByRole('tab', { name: 'Access Tokens' }).click();
    await page.getByRole('button', { name: 'Generate new token' }).waitFor();
    expect(new URL(page.url()).hash).toBe(SA_ETL);
  });

  it('lands admins on Admin › Users and everyone else on Settings › Members', async () => {
    for (const [userId, hash, heading] of [
      ['root', '#/admin/users', 'Users'],
      ['alice', '#/domains', 'Members'],
    ]) {
      const context = await newContext(browser, base);
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${base}/console/`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('User id').fill(userId!);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      expect(new URL(page.url()).hash).toBe(hash);
    }
  });

  it('Admin › Users is shown to admins, and leads to the same account page', async () => {
    const page = await pageFor('root', '#/domains');
    await page.getByRole('link', { name: 'Admin › Users' }).click();
    await page.getByRole('table', { name: 'Users of the directory' }).waitFor();
    await screenshot(page, 'admin-users');
    expect(await seriousViolations(page)).toStrictEqual([]);
    await page.getByRole('link', { name: 'sa-etl' }).click();
    await page.getByRole('tab', { name: 'Access Tokens' }).click();
    expect(new URL(page.url()).hash).toBe('#/admin/users/sa-etl/tokens');
    await expect(page.getByRole('button', { name: 'Generate new token' }).isEnabled()).resolves.toBe(true);
    expect(await seriousViolations(page)).toStrictEqual([]);
  });

  it('works by keyboard alone: tabs with arrow keys, a dialog opened with Enter and closed with Escape', async () => {
    const page = await pageFor('alice', '#/domains/finance/members/sa-etl');
    await page.getByRole('tab', { name: 'Details' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: 'Access Tokens', selected: true }).waitFor();
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Access Tokens');
    const generate = page.getByRole('button', { name: 'Generate new token' });
    await generate.waitFor();
    for (
      let presses = 0;
      presses < 10 && !(await generate.evaluate((element) => element === document.activeElement));
      presses++
    )
      await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('token-name');
    await page.keyboard.press('Escape');
    expect(await page.getByRole('dialog').count()).toBe(0);
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Generate new token');
  });
});

describe('layout and speed', () => {
  // The render time is measured and reported (test-artifacts/console/measurements.json), never
  // asserted: a shared machine's load would make such a test fail for nothing. The size is exact.
  it('measures the token list’s first render on opening its address, and ships under 150 KB of gzipped JavaScript', async () => {
    const page = await pageFor('alice', SA_ETL);
    const jwt = await devAccessToken(`${base}/oidc`, 'alice');
    const tokens = `${base}/api/v1/domains/finance/auth/service-accounts/sa-etl/tokens`;
    const headers = { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' };
    const expiresAt = new Date(Date.now() + 90 * 86_400_000).toISOString();
    for (const body of [
      { name: 'nightly-etl', maxRps: 50, expiresAt },
      { name: 'dashboards' },
      { name: 'backfill', maxRps: 5 },
    ]) {
      expect((await fetch(tokens, { method: 'POST', headers, body: JSON.stringify(body) })).status).toBe(201);
    }
    await fetch(`${tokens}/backfill`, { method: 'PATCH', headers, body: JSON.stringify({ status: 'SUSPENDED' }) });
    const renders: number[] = [];
    for (let run = 0; run < 3; run++) {
      // A whole page load each time (the session stays, in this tab's sessionStorage).
      await page.reload();
      await page.waitForFunction(() => performance.getEntriesByName('tokens-rendered').length > 0);
      renders.push(await page.evaluate(() => performance.getEntriesByName('tokens-rendered')[0]!.startTime));
    }
    await row(page, 'backfill').waitFor();
    await screenshot(page, 'access-tokens');
    measurements.firstRenderMs = Math.round([...renders].sort((a, b) => a - b)[1]!);
    measurements.firstRenderRunsMs = renders.map(Math.round);
    const bytes = await consoleScriptBytes();
    measurements.scriptBytes = bytes.raw;
    measurements.scriptGzipBytes = bytes.gzip;
    expect(bytes.gzip).toBeLessThan(150 * 1024);
  });
});
