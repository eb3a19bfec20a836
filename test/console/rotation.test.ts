/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Functions passed to page.evaluate run in the browser.
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { DEFAULT_GRACE_SECONDS } from '../../shared/kernel/replaced-secrets.js';
import {
  apiAs,
  chooseAction,
  consoleWorld,
  heapHolds,
  PHONE,
  row,
  screenshot,
  scrollsSideways,
  seriousViolations,
  whoamiWith,
} from './support.js';

/**
 * Rotation and the audit trail in a real browser: Rotate with the API's grace period and
 * the new secret shown once, the row saying until when the previous secret works and when
 * it was last used, End grace period now (the previous secret only) and what it breaks, then the Activity tab.
 */
const SA_ETL = '#/domains/finance/members/sa-etl';
const world = consoleWorld();
const secrets: string[] = [];
const works = (secret: string) => whoamiWith(world.base, secret);

beforeAll(async () => {
  const api = await apiAs(world.base, 'alice');
  const created = await api('POST', '/tokens', { name: 'ci-pipeline', maxRps: 10 });
  secrets.push(created.body.token as string);
});

/** Reads the secret shown once, checks it cannot be dismissed unconfirmed, then confirms and closes. */
async function keepSecret(page: Page): Promise<string> {
  const secret = await page.getByLabel('Token “ci-pipeline”').inputValue();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await page.mouse.click(3, 3);
  // Chromium closes a modal dialog on a second Escape without asking: it opens again, and says why.
  await page.getByRole('dialog').getByText('Confirm that you copied or downloaded the token').waitFor();
  expect(await page.getByRole('dialog').isVisible()).toBe(true);
  await page.getByLabel('I have copied or downloaded this token').check();
  await page.getByRole('button', { name: 'Done' }).click();
  expect(await page.getByRole('dialog').count()).toBe(0);
  return secret;
}

describe('rotation', () => {
  it('rotates with the API’s grace period: a new secret once, the old one’s end and last use shown', async () => {
    const page = await world.pageFor('alice', `${SA_ETL}/tokens`);
    await chooseAction(page, 'ci-pipeline', 'Rotate');
    const dialog = page.getByRole('dialog', { name: 'Rotate “ci-pipeline”' });
    await expect(dialog.getByLabel('Grace period').inputValue()).resolves.toBe(String(DEFAULT_GRACE_SECONDS));
    await expect(dialog.getByRole('combobox').locator('option:checked').textContent()).resolves.toBe('1 day (default)');
    await screenshot(page, 'rotate-dialog');
    expect(await seriousViolations(page)).toStrictEqual([]);
    await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
    await page.getByRole('dialog', { name: 'New secret for “ci-pipeline”' }).waitFor();
    await expect(page.getByRole('dialog').textContent()).resolves.toMatch(
      /The previous secret works until .+ UTC, for reading only\./,
    );
    await screenshot(page, 'rotate-secret');
    secrets.push(await keepSecret(page));
    expect(secrets[1]).not.toBe(secrets[0]);
    expect(await heapHolds(page, secrets[1]!.slice(23))).toBe(false);
    expect([await works(secrets[1]!), await works(secrets[0]!)]).toStrictEqual([200, 200]);

    const { body } = await (await apiAs(world.base, 'alice'))('GET', '/tokens');
    const [token] = body.tokens as { previousSecret: { validUntil: string } }[];
    const until = Date.parse(token!.previousSecret.validUntil);
    expect(Math.abs(until - Date.now() - DEFAULT_GRACE_SECONDS * 1000)).toBeLessThan(120_000);
    await page.reload();
    const note = row(page, 'ci-pipeline').getByText(/^Previous secret valid until/);
    // As the console writes times (two-digit hours: 01:18 AM, not 1:18 AM).
    const parts = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' } as const;
    const shown = new Date(until).toLocaleString('en-US', { ...parts, timeZone: 'UTC' });
    expect(await note.textContent()).toMatch(
      new RegExp(`^Previous secret valid until ${shown} UTC; last used .+ UTC$`),
    );
  });

  it('ends the grace period after saying what breaks: the previous secret stops, the current one keeps working', async () => {
    const page = await world.pageFor('alice', `${SA_ETL}/tokens`, PHONE);
    await chooseAction(page, 'ci-pipeline', 'End grace period now');
    const dialog = page.getByRole('dialog', { name: 'End the grace period of “ci-pipeline” now?' });
    const warning = await dialog.textContent();
    expect(warning).toMatch(/Any job still using it fails from its next request \(401\): it was last used .+ UTC\./);
    expect(warning).toMatch(/The current secret, the one the last rotation gave out, keeps working/);
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'end-grace-phone');
    expect(await seriousViolations(page)).toStrictEqual([]);
    await dialog.getByRole('button', { name: 'End grace period', exact: true }).click();
    await page.getByText('Grace period of ci-pipeline ended: its previous secret stopped working.').waitFor();
    // No new secret: the dialog is gone, and only the replaced secret stopped.
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await Promise.all(secrets.map(works))).toStrictEqual([401, 200]);
    await row(page, 'ci-pipeline').getByText('Active', { exact: true }).waitFor();
    expect(
      await row(page, 'ci-pipeline')
        .getByText(/^Previous secret/)
        .count(),
    ).toBe(0);
    // Nothing left to end: the menu no longer offers it.
    await page.getByRole('button', { name: 'Actions for ci-pipeline' }).click();
    expect(await page.getByRole('menuitem', { name: 'End grace period now' }).count()).toBe(0);
    await page.keyboard.press('Escape');
  });
});

describe('the Activity tab', () => {
  it('lists the trail newest first, each event in words: who, what, when, from where; a page at a time', async () => {
    const api = await apiAs(world.base, 'alice');
    expect((await api('POST', '/tokens', { name: 'chatty', maxRps: 1 })).status).toBe(201);
    for (let rps = 2; rps <= 27; rps++) await api('PATCH', '/tokens/chatty', { maxRps: rps });
    const page = await world.pageFor('alice', `${SA_ETL}/activity`);
    const events = page.getByRole('list', { name: 'Events, newest first' }).getByRole('listitem');
    await events.first().waitFor();
    expect(await events.count()).toBe(25);
    const newest = await events.first().textContent();
    expect(newest).toMatch(/^alice changed Max RPS of token “chatty” from 26 to 27\./);
    expect(newest).toMatch(/\.\w{3} \d+, \d{4}, .+ UTC · from 127\.0\.0\.1, node$/);
    expect(await events.nth(1).textContent()).toMatch(/^alice changed Max RPS of token “chatty” from 25 to 26\./);
    await screenshot(page, 'activity');
    expect(await seriousViolations(page)).toStrictEqual([]);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2').waitFor();
    await events.filter({ hasText: 'alice created token “ci-pipeline”' }).waitFor();
    const older = await events.allTextContents();
    expect(older.at(-1)).toMatch(/^alice created token “ci-pipeline” \(Max RPS 10, expires never\)\./);
    const rotated = /rotated token “ci-pipeline”: its previous secret works until/;
    expect(older.some((text) => rotated.test(text))).toBe(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText('Page 1').waitFor();
  });

  it('shows one token’s events, from its Actions menu or the filter, at desktop and phone widths', async () => {
    const page = await world.pageFor('alice', `${SA_ETL}/tokens`);
    await chooseAction(page, 'ci-pipeline', 'Activity');
    await page.waitForURL((url) => url.hash === '#/domains/finance/members/sa-etl/activity?token=ci-pipeline');
    const events = page.getByRole('list', { name: 'Events, newest first' }).getByRole('listitem');
    await events.first().waitFor();
    const texts = await events.allTextContents();
    expect(texts.every((text) => text.includes('token “ci-pipeline”'))).toBe(true);
    // The first secret, presented after it stopped: refused, and recorded with where it came from.
    expect(texts[0]).toMatch(
      /^A caller presented a secret of token “ci-pipeline” that stopped working .+, and was refused\./,
    );
    expect(texts[1]).toMatch(
      /^alice ended the grace period of token “ci-pipeline”: its previous secret, due to work until .+ UTC, stopped\..+HeadlessChrome/,
    );
    expect(texts.at(-1)).toMatch(/^alice created token “ci-pipeline”/);
    await page.setViewportSize(PHONE);
    await page.getByLabel('Token').fill('chatty');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((url) => url.hash.endsWith('/activity?token=chatty'));
    await events.first().filter({ hasText: 'token “chatty”' }).waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'activity-phone');
    expect(await seriousViolations(page)).toStrictEqual([]);
    await page.getByRole('link', { name: 'Show all tokens' }).click();
    await page.waitForURL((url) => url.hash.endsWith('/activity'));
  });
});
