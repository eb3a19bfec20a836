/// <reference lib="dom" />
// Functions passed to page.evaluate run in the browser.
import { describe, expect, it } from '@jest/globals';
import { chooseAction, consoleWorld, row, seriousViolations, whoamiWith } from './support.js';

/**
 * A token's scopes and allowed networks in a real browser against `npm start`: chosen on
 * Generate, the API's messages shown on the field, shown in the list, and edited from the
 * row's Actions menu.
 */
const SA_ETL = '#/domains/finance/members/sa-etl/tokens';
const world = consoleWorld();

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
