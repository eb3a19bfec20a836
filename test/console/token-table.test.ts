/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Functions passed to page.evaluate run in the browser.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Locator, Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../infra/local/paths.js';
import { apiAs, consoleWorld, PHONE, row, screenshot, scrollsSideways, seriousViolations } from './support.js';

/**
 * The token list's layout in a real browser: a 64-character name at 1,366 px without
 * sideways scrolling, each row's actions in one keyboard-operable menu button, one card
 * per token on a phone, expiry warnings, and why a token is suspended.
 */
const SA_ETL = '#/domains/finance/members/sa-etl/tokens';
const LONG = `nightly-warehouse-export-${'x'.repeat(39)}`;
const NAMES = [LONG, 'backfill', 'ci-pipeline', 'dashboards'];
const DAY_MS = 86_400_000;
const world = consoleWorld();

beforeAll(async () => {
  const api = await apiAs(world.base, 'alice');
  const expiresAt = new Date(Date.now() + 3 * DAY_MS + 60_000).toISOString();
  for (const body of [{ name: LONG, maxRps: 50, expiresAt }, { name: 'backfill' }, { name: 'ci-pipeline' }])
    expect((await api('POST', '/tokens', body)).status).toBe(201);
  expect((await api('POST', '/tokens', { name: 'dashboards', expiresAt: null })).status).toBe(201);
  expect((await api('PATCH', '/tokens/backfill', { status: 'SUSPENDED' })).status).toBe(200);
});

/** Whether a box lies within the page's width: nothing to scroll sideways to. */
async function withinWidth(locator: Locator, page: Page): Promise<boolean> {
  const box = (await locator.boundingBox())!;
  return box.x >= 0 && box.x + box.width <= page.viewportSize()!.width;
}

const focused = (page: Page) =>
  page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent);

describe('the token list', () => {
  it('fits a 64-character name at 1,366 px: no sideways scroll, and every row’s actions within reach', async () => {
    expect(LONG).toHaveLength(64);
    const page = await world.pageFor('alice', SA_ETL);
    await row(page, LONG).waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    for (const name of NAMES) {
      const actions = page.getByRole('button', { name: `Actions for ${name}`, exact: true });
      expect(await withinWidth(actions, page)).toBe(true);
      await actions.click();
      const menu = page.getByRole('menu', { name: `Actions for ${name}` });
      expect(await withinWidth(menu, page)).toBe(true);
      expect(await menu.getByRole('menuitem', { name: 'Delete' }).isVisible()).toBe(true);
      if (name === 'ci-pipeline') {
        await screenshot(page, 'token-actions-menu');
        expect(await seriousViolations(page)).toStrictEqual([]);
      }
      await page.keyboard.press('Escape');
    }
    // An expiry names its time zone, and warns when it is near (the first notice: 14 days ahead).
    await expect(row(page, LONG).getByRole('cell').nth(2).textContent()).resolves.toMatch(/UTC⚠?Expires in 3 days$/);
    expect(await row(page, 'dashboards').getByRole('cell').nth(2).textContent()).toBe('Never');
    await row(page, 'backfill')
      .getByText(/^By alice, .+ UTC$/)
      .waitFor();
    await screenshot(page, 'token-table-desktop');
    expect(await seriousViolations(page)).toStrictEqual([]);
    for (const width of [1920, 1024, 961, 959, 834]) {
      await page.setViewportSize({ width, height: 800 });
      expect(await scrollsSideways(page)).toBe(false);
    }
  });

  it('opens a row’s Actions menu as a menu button, by keys and mouse, focus back on closing', async () => {
    const page = await world.pageFor('alice', SA_ETL);
    const button = page.getByRole('button', { name: 'Actions for ci-pipeline', exact: true });
    const menu = page.getByRole('menu', { name: 'Actions for ci-pipeline' });
    await expect(button.getAttribute('aria-haspopup')).resolves.toBe('menu');
    for (const key of ['Enter', ' ', 'ArrowDown']) {
      await button.focus();
      await page.keyboard.press(key);
      await menu.waitFor();
      await expect(button.getAttribute('aria-expanded')).resolves.toBe('true');
      expect(await focused(page)).toBe('Rotate');
      await page.keyboard.press('Escape');
      expect(await menu.count()).toBe(0);
      await expect(button.getAttribute('aria-expanded')).resolves.toBe('false');
      expect(await focused(page)).toBe('Actions for ci-pipeline');
    }
    await page.keyboard.press('ArrowUp');
    expect(await focused(page)).toBe('Delete');
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toBe('Rotate');
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toBe('Suspend');
    await page.keyboard.press('End');
    expect(await focused(page)).toBe('Delete');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toBe('Edit Max RPS');
    // An item that opens a dialog: when the dialog closes, focus is back on the row's button.
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Rate limit of “ci-pipeline”' }).waitFor();
    await page.keyboard.press('Escape');
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await focused(page)).toBe('Actions for ci-pipeline');
    // Tab and a click outside close it too.
    await page.keyboard.press('Enter');
    await menu.waitFor();
    await page.keyboard.press('Tab');
    expect(await menu.count()).toBe(0);
    await button.click();
    await menu.waitFor();
    await page.mouse.click(5, 300);
    expect(await menu.count()).toBe(0);
  });

  it('reads each token as a card at 390 px: its fields labelled and stacked, its actions at hand', async () => {
    const page = await world.pageFor('alice', SA_ETL, PHONE);
    await row(page, LONG).waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    for (const name of NAMES) {
      const card = row(page, name);
      expect(await withinWidth(card, page)).toBe(true);
      const labels = await card
        .getByRole('cell')
        .evaluateAll((cells) => cells.map((cell) => getComputedStyle(cell, '::before').content));
      expect(labels.slice(0, 4)).toStrictEqual(['"Status"', '"Max RPS"', '"Expires"', '"Last used"']);
      // Stacked: each field below the one before it, inside the card.
      const tops = await card
        .getByRole('cell')
        .evaluateAll((cells) => cells.map((cell) => cell.getBoundingClientRect().top));
      expect(tops.slice(0, 5)).toStrictEqual([...tops.slice(0, 5)].sort((a, b) => a - b));
      expect(await withinWidth(card.getByRole('button', { name: `Actions for ${name}`, exact: true }), page)).toBe(
        true,
      );
    }
    await page.getByRole('button', { name: `Actions for ${LONG}` }).click();
    expect(await withinWidth(page.getByRole('menu'), page)).toBe(true);
    await page.keyboard.press('Escape');
    await screenshot(page, 'token-cards-phone');
    expect(await seriousViolations(page)).toStrictEqual([]);
  });

  // Last: the lifecycle job suspends every unused token of the table.
  it('says why a token is suspended: by whom, or unused (the lifecycle job)', async () => {
    const now = new Date(Date.now() + 2 * DAY_MS).toISOString();
    const run = spawnSync('npm', ['run', '-s', 'lifecycle', '--', '--now', now], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, TABLE_NAME: world.tableName, SUSPEND_UNUSED_AFTER_DAYS: '1' },
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    const page = await world.pageFor('alice', SA_ETL);
    await row(page, 'dashboards').getByText('Suspended', { exact: true }).waitFor();
    await row(page, 'dashboards')
      .getByText(/^Unused for 2 days \(the lifecycle job\), .+ UTC$/)
      .waitFor();
    await row(page, 'backfill')
      .getByText(/^By alice, .+ UTC$/)
      .waitFor();
  });
});
