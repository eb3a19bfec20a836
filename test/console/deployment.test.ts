/// <reference lib="dom" />
import { beforeAll, describe, expect, it } from '@jest/globals';
import { apiAs, chooseAction, consoleWorld, DESKTOP, PHONE, screenshot, seriousViolations } from './support.js';

/**
 * The console offers what this deployment's API accepts, as whoami's tokenSettings say:
 * here tokens live at most 30 days (TOKEN_MAX_LIFETIME_DAYS) and go no faster than 100
 * requests a second (MAX_RPS), so Generate offers 7 and 30 days and dates up to then, and
 * it, Edit Max RPS and New policy check Max RPS against 100, before anything is sent.
 */
const world = consoleWorld({ TOKEN_MAX_LIFETIME_DAYS: '30', MAX_RPS: '100' });
const SA_ETL = '#/domains/finance/members/sa-etl/tokens';

beforeAll(async () => {
  const api = await apiAs(world.base, 'alice');
  expect((await api('POST', '/tokens', { name: 'existing' })).status).toBe(201);
});

describe.each([
  ['desktop', DESKTOP],
  ['phone', PHONE],
])('a deployment whose tokens live 30 days at most (%s)', (width, viewport) => {
  it('Generate offers only lifetimes it accepts, and says the limits on the fields', async () => {
    const page = await world.pageFor('alice', SA_ETL, viewport);
    await page.getByRole('button', { name: 'Generate new token' }).click();
    const expires = page.getByLabel('Expires', { exact: true });
    expect(await expires.locator('option').allTextContents()).toStrictEqual([
      'In 7 days',
      'In 30 days',
      'On a date…',
      'Never',
    ]);
    // 90 days is not allowed here: the longest within it is chosen.
    await expect(expires.inputValue()).resolves.toBe('30');
    await page.getByLabel('Name').fill(`monthly-${width}`);
    await page.getByLabel('Max RPS (optional)').fill('101');
    await expect(page.locator('#token-max-rps-hint').textContent()).resolves.toMatch(/1–100\./);
    await expires.selectOption('date');
    const date = page.getByLabel('Expires on');
    // The last day whose end is within 30 days (the browser's time zone is UTC here).
    const limit = Date.now() + 30 * 86_400_000;
    const end = (day: string) => Date.parse(`${day}T23:59:59Z`);
    const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);
    const last = end(dayOf(limit)) <= limit ? dayOf(limit) : dayOf(limit - 86_400_000);
    expect(await date.getAttribute('max')).toBe(last);
    await date.fill(new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10));
    await page.getByRole('button', { name: 'Generate token' }).click();
    await page.getByText('Max RPS must be a whole number from 1 to 100.').waitFor();
    await page.getByText(`Choose a day until ${last}: tokens here live at most 30 days.`).waitFor();
    expect(await seriousViolations(page)).toStrictEqual([]);
    await screenshot(page, `generate-limits-${width}`);
    // Within them, it is generated.
    await page.getByLabel('Max RPS (optional)').fill('100');
    await expires.selectOption('30');
    await page.getByRole('button', { name: 'Generate token' }).click();
    await page.getByRole('dialog', { name: 'Token generated' }).waitFor();
  });

  it('New policy checks Max RPS against the deployment’s ceiling and says it on the field', async () => {
    const page = await world.pageFor('alice', '#/domains/finance/members/sa-etl/federation', viewport);
    await page.getByRole('button', { name: 'New policy' }).click();
    const dialog = page.getByRole('dialog', { name: 'New federation policy' });
    await expect(page.locator('#policy-maxRps-hint').textContent()).resolves.toMatch(/1–100\. Empty: no limit\./);
    await dialog.getByLabel('Name').fill(`capped-${width}`);
    await dialog.getByLabel('Issuer').fill('https://ci.example.com');
    await dialog.getByLabel('Subject').fill('repo:org/app:ref:refs/heads/main');
    await dialog.getByLabel('Max RPS').fill('101');
    await dialog.getByRole('button', { name: 'Create policy' }).click();
    await expect(page.locator('#policy-maxRps-error').textContent()).resolves.toBe(
      'Max RPS must be a whole number from 1 to 100.',
    );
    expect(await seriousViolations(page)).toStrictEqual([]);
  });

  it('Edit Max RPS checks the deployment’s ceiling, and Rotate chooses the API’s default grace period', async () => {
    const page = await world.pageFor('alice', SA_ETL, viewport);
    await chooseAction(page, 'existing', 'Edit Max RPS');
    await page.getByLabel('Max RPS').fill('500');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Max RPS must be a whole number from 1 to 100.').waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await chooseAction(page, 'existing', 'Rotate');
    const grace = page.getByRole('dialog').getByLabel('Grace period');
    await expect(grace.inputValue()).resolves.toBe('86400');
    await expect(grace.locator('option:checked').textContent()).resolves.toBe('1 day (default)');
    expect(await seriousViolations(page)).toStrictEqual([]);
  });
});
