/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Functions passed to page.evaluate run in the browser.
import { describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { chooseAction, consoleWorld, heapHolds, row, screenshot, seriousViolations, whoamiWith } from './support.js';

/**
 * The Access Tokens tab in a real browser against `npm start`: generating a token and
 * keeping its secret, changing and deleting it from its Actions menu, the forms' inline
 * messages, what people without the permission see, and a token's scopes and allowed
 * networks (chosen on Generate, the API's messages on the field, shown in the list, edited
 * from the row's Actions menu). One file, one `npm start`: the tests name tokens of their own.
 */
const SA_ETL = '#/domains/finance/members/sa-etl/tokens';
const world = consoleWorld();
const cell = async (page: Page, name: string, column: number) =>
  (await row(page, name).getByRole('cell').nth(column).textContent())?.trim();

describe('the Access Tokens tab', () => {
  it('lets a permitted user generate a token, copy it, see Max RPS "None", edit it, suspend, reactivate and delete it', async () => {
    const page = await world.pageFor('alice', SA_ETL);
    const generate = page.getByRole('button', { name: 'Generate new token' });
    await expect(generate.isEnabled()).resolves.toBe(true);
    await generate.click();
    await page.getByLabel('Name').fill('ci-pipeline');
    // An expiry is suggested: 90 days, said with its time zone.
    await expect(page.getByLabel('Expires', { exact: true }).inputValue()).resolves.toBe('90');
    await expect(page.locator('#token-expiry-hint').textContent()).resolves.toMatch(
      /^The token stops working on .+ UTC\.$/,
    );
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
    expect(await whoamiWith(world.base, secret)).toBe(200);

    // Done, Escape and a click outside keep the secret on screen until its keeper confirms they kept it.
    await page.getByRole('button', { name: 'Done' }).click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.mouse.click(5, 5);
    await expect(page.getByRole('dialog').getByRole('alert').last().textContent()).resolves.toBe(
      'Confirm that you copied or downloaded the token before closing: it cannot be shown again.',
    );
    await expect(page.getByLabel('Token “ci-pipeline”').inputValue()).resolves.toBe(secret);
    await page.getByLabel('I have copied or downloaded this token').check();
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
    const expires = new Date(Date.now() + 90 * 86_400_000).toLocaleDateString('en-US', { dateStyle: 'medium' });
    expect(await cell(page, 'ci-pipeline', 2)).toMatch(new RegExp(`^${expires}, .+ UTC$`));
    await chooseAction(page, 'ci-pipeline', 'Edit Max RPS');
    await page.getByLabel('Max RPS').fill('25');
    // The field says, as it is typed, what API Gateway holds the token to.
    await page.getByText('In AWS, held to 23 per second: the largest rate tier at or below 25.').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Max RPS of ci-pipeline is now 25.' }).waitFor();
    expect(await cell(page, 'ci-pipeline', 1)).toBe('25');

    await chooseAction(page, 'ci-pipeline', 'Suspend');
    await row(page, 'ci-pipeline').getByText('Suspended', { exact: true }).waitFor();
    // Why, from the token itself: who suspended it, and when.
    await row(page, 'ci-pipeline')
      .getByText(/^By alice, .+ UTC$/)
      .waitFor();
    expect(await whoamiWith(world.base, secret)).toBe(401);
    await expect(page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).resolves.toBe(
      'Actions for ci-pipeline',
    );
    await chooseAction(page, 'ci-pipeline', 'Reactivate');
    await row(page, 'ci-pipeline').getByText('Active', { exact: true }).waitFor();
    expect(await whoamiWith(world.base, secret)).toBe(200);

    await chooseAction(page, 'ci-pipeline', 'Delete');
    await page.getByRole('dialog', { name: 'Delete token “ci-pipeline”?' }).waitFor();
    await page.getByRole('button', { name: 'Delete token' }).click();
    await page.getByText('This account has no tokens yet.').waitFor();
    expect(await whoamiWith(world.base, secret)).toBe(401);
  });

  it('says what is wrong beside each field, never in a browser pop-up; the API’s messages too', async () => {
    const page = await world.pageFor('alice', SA_ETL);
    await page.getByRole('button', { name: 'Generate new token' }).click();
    await page.getByLabel('Name').fill('has spaces');
    await page.getByLabel('Max RPS (optional)').fill('0');
    await page.getByRole('button', { name: 'Generate token' }).click();
    const name = page.getByLabel('Name');
    await expect(name.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(name.evaluate((input) => input === document.activeElement)).resolves.toBe(true);
    await expect(page.locator('#token-name-error').textContent()).resolves.toBe(
      'Name must be 1–64 letters, digits, dots, underscores or hyphens.',
    );
    await expect(page.locator('#token-max-rps-error').textContent()).resolves.toBe(
      'Max RPS must be a whole number from 1 to 3000.',
    );
    // No native validation: nothing the browser would show a bubble for.
    await expect(page.locator('form').evaluate((form) => (form as HTMLFormElement).noValidate)).resolves.toBe(true);
    await screenshot(page, 'generate-invalid');
    expect(await seriousViolations(page)).toStrictEqual([]);
    // A date past the deployment's longest lifetime (whoami's tokenSettings): said on the field, not sent.
    await name.fill('far-future');
    await page.getByLabel('Max RPS (optional)').fill('');
    await page.getByLabel('Expires', { exact: true }).selectOption('date');
    await page.getByLabel('Expires on').fill(new Date(Date.now() + 400 * 86_400_000).toISOString().slice(0, 10));
    await page.getByRole('button', { name: 'Generate token' }).click();
    await expect(page.locator('#token-expires-on-error').textContent()).resolves.toMatch(
      /^Choose a day until \d{4}-\d{2}-\d{2}: tokens here live at most 365 days\.$/,
    );
    await expect(page.getByLabel('Expires on').getAttribute('aria-invalid')).resolves.toBe('true');
    // What only the API can tell comes back on its field the same way.
    await page.route('**/sa-etl/tokens', (route) =>
      route.fulfill({
        status: 400,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'urn:service-account-tokens:problem:validation-failed',
          title: 'Validation failed',
          status: 400,
          detail: 'The request has invalid fields; see errors.',
          code: 'VALIDATION_FAILED',
          errors: [{ field: 'expiresAt', message: 'must be at most 365 days from now' }],
        }),
      }),
    );
    await page.getByLabel('Expires on').fill(new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10));
    await page.getByRole('button', { name: 'Generate token' }).click();
    await expect(page.locator('#token-expires-on-error').textContent()).resolves.toBe(
      'Expires must be at most 365 days from now',
    );
  });

  it('says when to retry after a 429', async () => {
    const page = await world.pageFor('alice', SA_ETL);
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
    const page = await world.pageFor('bob', SA_ETL);
    const generate = page.getByRole('button', { name: 'Generate new token' });
    await expect(generate.isDisabled()).resolves.toBe(true);
    await generate.hover();
    const tooltip = page.getByRole('tooltip');
    await tooltip.waitFor();
    expect(await tooltip.textContent()).toBe(
      'You need the permission to manage access tokens in finance (access_token.manage, or MANAGE_ACCESS_TOKEN). ' +
        'Ask an admin for it.',
    );
    await screenshot(page, 'no-permission');
    expect(await seriousViolations(page)).toStrictEqual([]);
  });

  it('shows a user outside the account’s groups the same-group message and what to do', async () => {
    const page = await world.pageFor('carol', SA_ETL);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'You must be in the same group as this service account to view and manage tokens' +
        'Ask an admin to add you to one of the account’s groups: data-eng.',
    );
    await expect(page.getByRole('button', { name: 'Generate new token' }).isDisabled()).resolves.toBe(true);
    await screenshot(page, 'not-same-group');
  });
});

describe('scopes and allowed networks in the console', () => {
  it('generates a restricted token, says what is wrong with a network on its field, and edits both', async () => {
    const page = await world.pageFor('alice', SA_ETL);
    await page.getByRole('button', { name: 'Generate new token' }).click();
    await page.getByLabel('Name').fill('reporter');
    // Every scope is checked unless unchecked: a token has them all unless it asks for fewer.
    for (const scope of ['tokens:read', 'tokens:write', 'api'])
      await expect(page.locator(`[id="token-scope-${scope}"]`).isChecked()).resolves.toBe(true);
    await page.locator('[id="token-scope-tokens:write"]').uncheck();
    const networks = page.getByLabel('Allowed networks (optional)');
    await networks.fill('10.1.2.3/8\nnowhere');
    await page.getByRole('button', { name: 'Generate token' }).click();
    // The API's words, naming each bad network, on the field it concerns.
    await page.locator('#token-networks-error').waitFor();
    await expect(page.locator('#token-networks-error').textContent()).resolves.toBe(
      "'10.1.2.3/8' has host bits set: the network of that prefix is 10.0.0.0/8; " +
        "'nowhere' is not an IPv4 or IPv6 network (address/prefix)",
    );
    await expect(networks.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(networks.evaluate((input) => input === document.activeElement)).resolves.toBe(true);
    expect(await seriousViolations(page)).toStrictEqual([]);

    await networks.fill('10.0.0.0/8\n127.0.0.1');
    await page.getByRole('button', { name: 'Generate token' }).click();
    const secret = await page.getByLabel('Token “reporter”').inputValue();
    await page.getByLabel('I have copied or downloaded this token').check();
    await page.getByRole('button', { name: 'Done' }).click();
    await row(page, 'reporter')
      .getByText('Scopes: tokens:read, api · From: 10.0.0.0/8, 127.0.0.1/32', { exact: true })
      .waitFor();
    // The browser's requests come from loopback: it works from here.
    expect(await whoamiWith(world.base, secret)).toBe(200);

    await chooseAction(page, 'reporter', 'Edit scopes and networks');
    await page.getByRole('dialog', { name: 'Scopes and networks of “reporter”' }).waitFor();
    await expect(page.getByLabel('Allowed networks (optional)').inputValue()).resolves.toBe('10.0.0.0/8\n127.0.0.1/32');
    await page.getByLabel('Allowed networks (optional)').fill('192.0.2.0/24');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Scopes and networks of reporter saved.' }).waitFor();
    await row(page, 'reporter').getByText('Scopes: tokens:read, api · From: 192.0.2.0/24', { exact: true }).waitFor();
    // Now outside its networks: the authorizer refuses it.
    expect(await whoamiWith(world.base, secret)).toBe(403);
  });
});
