/// <reference lib="dom" />
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../infra/local/paths.js';
import { consoleWorld, DESKTOP, PHONE, screenshot, scrollsSideways, seriousViolations } from './support.js';

/**
 * Finding an account among many: the search boxes of Settings › Members and Admin › Users
 * send the API's `q` (ids by their start) once typing pauses, and page what it finds.
 * The directory gets 60 more finance members first (`ops-00` … `ops-59`), so a search
 * for `ops-` fills three pages of 25.
 */
const world = consoleWorld();
const OPS = Array.from({ length: 60 }, (_, i) => `ops-${String(i).padStart(2, '0')}`);

beforeAll(() => {
  const file = join(mkdtempSync(join(tmpdir(), 'search-')), 'directory.json');
  const users = OPS.map((id) => ({ id, type: 'USER', domains: ['finance'], groups: ['ops'] }));
  writeFileSync(file, JSON.stringify({ domains: [], users, roles: [], bundles: [] }));
  // Into this file's npm start's table (its state folder is its own, so named by the table).
  const run = spawnSync('npm', ['run', '-s', 'directory', '--', 'import', file], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { ...process.env, TABLE_NAME: world.tableName },
    timeout: 60_000,
  });
  expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toStrictEqual({ status: 0, stderr: '' });
});

const rowNames = (page: Page, table: string) =>
  page.getByRole('table', { name: table }).locator('tbody th').allTextContents();

/** Waits until the table shows exactly `ids` (a search lands after its debounce). */
async function shows(page: Page, table: string, ids: string[]): Promise<void> {
  await page.waitForFunction(
    ([name, expected]) => {
      const caption = [...document.querySelectorAll('caption')].find((c) => c.textContent === name);
      const cells = [...(caption?.closest('table')?.querySelectorAll('tbody th') ?? [])].map((c) => c.textContent);
      return JSON.stringify(cells) === JSON.stringify(expected);
    },
    [table, ids] as const,
  );
  expect(await rowNames(page, table)).toStrictEqual(ids);
}

describe.each([
  ['desktop', DESKTOP],
  ['phone', PHONE],
])('finding an account (%s)', (width, viewport) => {
  it('Search members finds members by the start of their id, with paging kept', async () => {
    const page = await world.pageFor('alice', '#/domains/finance/members', viewport);
    const table = 'Members of finance';
    await shows(page, table, ['alice', 'bob', 'carol', ...OPS.slice(0, 22)]);
    const search = page.getByRole('searchbox', { name: 'Search members' });
    await search.fill('ops-');
    await shows(page, table, OPS.slice(0, 25));
    await page.getByRole('button', { name: 'Next page' }).click();
    await shows(page, table, OPS.slice(25, 50));
    await page.getByRole('button', { name: 'Next page' }).click();
    await shows(page, table, OPS.slice(50));
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await shows(page, table, OPS.slice(25, 50));
    expect(await scrollsSideways(page)).toBe(false);
    expect(await seriousViolations(page)).toStrictEqual([]);
    // A new search starts at its first page.
    await search.fill('sa-');
    await shows(page, table, ['sa-etl', 'sa-reporting']);
    await screenshot(page, `members-search-${width}`);
    await search.fill('nobody');
    await page.getByRole('status').getByText('No member’s id starts with “nobody”.').waitFor();
    // What no id contains is said on the field, and not sent.
    await search.fill('sa etl');
    await page.getByText('An id has no spaces, /, #, ? or %.').waitFor();
    expect(await search.getAttribute('aria-invalid')).toBe('true');
    expect(await seriousViolations(page)).toStrictEqual([]);
  });

  it('Search users finds users by the start of their id, for an admin', async () => {
    const page = await world.pageFor('root', '#/admin/users', viewport);
    const table = 'Users of the directory';
    const search = page.getByRole('searchbox', { name: 'Search users' });
    await search.fill('ops-5');
    await shows(page, table, OPS.slice(50, 60));
    await search.fill('sa-r');
    await shows(page, table, ['sa-reporting', 'sa-rotator']);
    await page.getByRole('link', { name: 'sa-reporting' }).click();
    await page.getByRole('tab', { name: 'Details' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/admin/users/sa-reporting');
    await page.goBack();
    await search.waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    expect(await seriousViolations(page)).toStrictEqual([]);
  });
});
