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
  heapHolds,
  launchChromium,
  newContext,
  npmStart,
  PHONE,
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

const row = (page: Page, name: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
const cell = async (page: Page, name: string, column: number) =>
  (await row(page, name).getByRole('cell').nth(column).textContent())?.trim();
const whoamiWith = async (token: string) =>
  (await fetch(`${base}/api/v1/auth/whoami`, { headers: { 'X-API-Token': token } })).status;

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

describe('the Access Tokens tab', () => {
  it('lets a permitted user generate a token, copy it, see Max RPS "None", edit it, suspend, reactivate and delete it', async () => {
    const page = await pageFor('alice', SA_ETL);
    const generate = page.getByRole('button', { name: 'Generate new token' });
    await expect(generate.isEnabled()).resolves.toBe(true);
    await generate.click();
    await page.getByLabel('Name').fill('ci-pipeline');
    await screenshot(page, 'generate-dialog');
    expect(await seriousViolations(page)).toStrictEqual([]);
    await page.getByRole('button', { name: 'Generate token' }).click();
    const secret = await page.getByLabel('Token “ci-pipeline”').inputValue();
    expect(secret).toMatch(/^iomsat_\w{65}$/);
    await expect(page.getByRole('dialog').textContent()).resolves.toMatch(/it cannot be shown again/);
    await page.getByRole('button', { name: 'Copy' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    expect((await download).suggestedFilename()).toBe('sa-etl-ci-pipeline.token');
    await screenshot(page, 'secret-shown');
    expect(await seriousViolations(page)).toStrictEqual([]);
    expect(await whoamiWith(secret)).toBe(200);

    await page.getByRole('button', { name: 'Done' }).click();
    // Focus back where it was; the secret gone from the page and from what its scripts hold.
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Generate new token');
    await page.evaluate(() => navigator.clipboard.writeText(''));
    expect(
      await page.evaluate(
        (s) =>
          document.documentElement.outerHTML.includes(s) ||
          [...document.querySelectorAll('input')].some((i) => i.value.includes(s)),
        secret,
      ),
    ).toBe(false);
    expect(await heapHolds(page, secret.slice(23))).toBe(false);

    expect(await cell(page, 'ci-pipeline', 1)).toBe('None');
    await row(page, 'ci-pipeline').getByRole('button', { name: 'Edit Max RPS' }).click();
    await page.getByLabel('Max RPS').fill('25');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Max RPS of ci-pipeline is now 25.' }).waitFor();
    expect(await cell(page, 'ci-pipeline', 1)).toBe('25');

    await row(page, 'ci-pipeline').getByRole('button', { name: 'Suspend' }).click();
    await row(page, 'ci-pipeline').getByText('Suspended').waitFor();
    expect(await whoamiWith(secret)).toBe(401);
    await row(page, 'ci-pipeline').getByRole('button', { name: 'Reactivate' }).click();
    await row(page, 'ci-pipeline').getByText('Active').waitFor();
    expect(await whoamiWith(secret)).toBe(200);

    await row(page, 'ci-pipeline').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete token “ci-pipeline”?' }).waitFor();
    await page.getByRole('button', { name: 'Delete token' }).click();
    await page.getByText('This account has no tokens yet.').waitFor();
    expect(await whoamiWith(secret)).toBe(401);
  });

  it('says when to retry after a 429', async () => {
    const page = await pageFor('alice', SA_ETL);
    await page.route('**/api/v1/domains/finance/auth/service-accounts/sa-etl/tokens', (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({
            status: 429,
            headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '3' },
            body: JSON.stringify({
              type: 'urn:service-account-tokens:problem:throttled',
              title: 'Too many requests',
              status: 429,
              detail: 'Slow down.',
              code: 'THROTTLED',
            }),
          })
        : route.continue(),
    );
    await page.getByRole('button', { name: 'Generate new token' }).click();
    await page.getByLabel('Name').fill('throttled');
    await page.getByRole('button', { name: 'Generate token' }).click();
    await expect(page.getByRole('dialog').getByRole('alert').textContent()).resolves.toMatch(
      /Too many requests\.Try again in 3 seconds \(at /,
    );
  });

  it('shows a user without the permission Generate new token disabled, with a tooltip saying why', async () => {
    const page = await pageFor('bob', SA_ETL);
    const generate = page.getByRole('button', { name: 'Generate new token' });
    await expect(generate.isDisabled()).resolves.toBe(true);
    await generate.hover();
    const tooltip = page.getByRole('tooltip');
    await tooltip.waitFor();
    expect(await tooltip.textContent()).toBe(
      'You need the permission to manage access tokens in finance (access_token.manage, or MANAGE_ACCESS_TOKEN). Ask an admin for it.',
    );
    await screenshot(page, 'no-permission');
    expect(await seriousViolations(page)).toStrictEqual([]);
  });

  it('shows a user outside the account’s groups the same-group message and what to do', async () => {
    const page = await pageFor('carol', SA_ETL);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'You must be in the same group as this service account to view and manage tokensAsk an admin to add you to one of the account’s groups: data-eng.',
    );
    await expect(page.getByRole('button', { name: 'Generate new token' }).isDisabled()).resolves.toBe(true);
    await screenshot(page, 'not-same-group');
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

  it('is readable at a phone’s width: nothing but the token table scrolls sideways (the tokens of the test above listed)', async () => {
    const page = await pageFor('alice', SA_ETL, PHONE);
    await row(page, 'backfill').waitFor();
    await screenshot(page, 'phone');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(await seriousViolations(page)).toStrictEqual([]);
  });
});
