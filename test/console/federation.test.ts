/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Functions passed to page.evaluate run in the browser.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type CiIssuer, GITHUB_CLAIMS, startCiIssuer } from '../support/ci-issuer.js';
import { chooseAction, consoleWorld, PHONE, row, screenshot, scrollsSideways, seriousViolations } from './support.js';

/**
 * The Federation tab in a real browser: New policy (with the form's and the API's
 * messages on its fields), Test with a pasted CI token (a real OpenID provider signs it),
 * the tokens an exchange issues marked in the token list, and Delete with confirmation.
 */
const SA_ETL = '#/domains/finance/members/sa-etl';
const AUDIENCE = 'https://tokens.example.com';
const world = consoleWorld();
let ci: CiIssuer;

beforeAll(async () => {
  ci = await startCiIssuer();
});

afterAll(async () => {
  await ci?.close();
});

const error = (page: import('playwright-core').Page, field: string) => page.locator(`#policy-${field}-error`);

describe('the Federation tab', () => {
  it('creates a policy with New policy, saying on each field what is wrong, the API’s rules included', async () => {
    const page = await world.pageFor('alice', `${SA_ETL}/federation`);
    await page.getByText('This account has no federation policies yet.').waitFor();
    await page.getByRole('button', { name: 'New policy' }).click();
    const dialog = page.getByRole('dialog', { name: 'New federation policy' });
    await dialog.getByRole('button', { name: 'Create policy' }).click();
    await expect(error(page, 'name').textContent()).resolves.toBe('Name is required.');
    await expect(error(page, 'issuer').textContent()).resolves.toMatch(/^Issuer is required/);
    await expect(error(page, 'subject').textContent()).resolves.toMatch(/^Subject is required/);
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('policy-name');
    // What only the API knows: its issuer rules, and that a subject of wildcards admits anyone.
    await dialog.getByLabel('Name').fill('deploy-prod');
    await dialog.getByLabel('Issuer').fill('ftp://ci.example.com');
    await dialog.getByLabel('Subject').fill('**');
    await dialog.getByRole('button', { name: 'Create policy' }).click();
    await expect(error(page, 'issuer').textContent()).resolves.toBe(
      'Issuer must be an https URL (plain http only on a loopback host).',
    );
    await expect(error(page, 'subject').textContent()).resolves.toBe(
      'Subject must not be wildcards only: it would admit any subject.',
    );
    await expect(dialog.getByLabel('Subject').getAttribute('aria-invalid')).resolves.toBe('true');
    await screenshot(page, 'new-policy-invalid');
    expect(await seriousViolations(page)).toStrictEqual([]);

    await dialog.getByLabel('Issuer').fill(ci.issuer);
    await dialog.getByLabel('Subject').fill(GITHUB_CLAIMS.sub);
    await dialog.getByLabel('Audiences').fill(AUDIENCE);
    await dialog.getByLabel('Claims').fill('repository_owner_id = 65');
    await dialog.getByLabel('Max RPS').fill('5');
    await dialog.getByRole('button', { name: 'Create policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Policy deploy-prod created.' }).waitFor();
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'deploy-prod' }) });
    await expect(card.textContent()).resolves.toMatch(/Claimsrepository_owner_id: 65/);
    await expect(card.textContent()).resolves.toMatch(/Max RPS5, shared by its tokens/);
    await screenshot(page, 'federation');
    expect(await seriousViolations(page)).toStrictEqual([]);
  });

  it('tests a pasted CI token against the policy and shows each check', async () => {
    const page = await world.pageFor('alice', `${SA_ETL}/federation`);
    const test = async (jwt: string) => {
      await page.getByRole('button', { name: 'Test policy deploy-prod' }).click();
      const dialog = page.getByRole('dialog', { name: 'Test policy “deploy-prod”' });
      await dialog.getByLabel('CI job’s token').fill(jwt);
      await dialog.getByRole('button', { name: 'Run test' }).click();
      await dialog.getByRole('region', { name: 'Test result' }).waitFor();
      return dialog;
    };
    let dialog = await test(await ci.issue(AUDIENCE, { ...GITHUB_CLAIMS }));
    await expect(dialog.locator('.verdict').textContent()).resolves.toBe(
      'Passed: an exchange of this token would be accepted now.',
    );
    const checks = await dialog.getByRole('listitem').allTextContents();
    for (const name of ['signature', 'issuer', 'audience', 'subject', 'claim:repository_owner_id', 'replay'])
      expect(checks.some((text) => text.includes(`${name} passed: `))).toBe(true);
    await screenshot(page, 'federation-test');
    expect(await seriousViolations(page)).toStrictEqual([]);
    await dialog.getByRole('button', { name: 'Close' }).click();

    dialog = await test(await ci.issue(AUDIENCE, { ...GITHUB_CLAIMS, sub: 'repo:org/app:environment:staging' }));
    await expect(dialog.locator('.verdict').textContent()).resolves.toMatch(/^Failed/);
    await expect(dialog.getByRole('listitem').filter({ hasText: 'subject failed: ' }).textContent()).resolves.toMatch(
      /'repo:org\/app:environment:staging' does not match 'repo:org\/app:environment:prod'/,
    );
  });

  it('marks the tokens an exchange issued as federated, by their policy, in the token list', async () => {
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: await ci.issue(AUDIENCE, { ...GITHUB_CLAIMS }),
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      service_account_id: 'sa-etl',
    });
    const exchanged = await fetch(`${world.base}/api/v1/auth/token`, { method: 'POST', body: form });
    expect(exchanged.status).toBe(200);
    const page = await world.pageFor('alice', `${SA_ETL}/tokens`);
    const name = (await page.getByRole('rowheader').first().locator('.token-name').textContent())!;
    expect(name).toMatch(/^deploy-prod\.\d{14}-[0-9a-f]{6}$/);
    await expect(row(page, name).getByRole('rowheader').textContent()).resolves.toMatch(
      /Federated by policy deploy-prod$/,
    );
    await page.getByRole('button', { name: `Actions for ${name}` }).click();
    // Its limit is the policy's, and its next job brings a new token: no Rotate, no Edit Max RPS.
    expect(await page.getByRole('menuitem').allTextContents()).toStrictEqual(['Suspend', 'Activity', 'Delete']);
    await page.keyboard.press('Escape');
    await chooseAction(page, name, 'Activity');
    const events = page.getByRole('list', { name: 'Events, newest first' }).getByRole('listitem');
    await expect(events.first().textContent()).resolves.toMatch(
      new RegExp(
        `^CI job “${GITHUB_CLAIMS.sub}” exchanged its OIDC token from ${ci.issuer} \\(policy “deploy-prod”\\)`,
      ),
    );
  });

  it('deletes a policy after saying what becomes of its tokens, on a phone', async () => {
    const page = await world.pageFor('alice', `${SA_ETL}/federation`, PHONE);
    await page.getByRole('button', { name: 'Delete policy deploy-prod' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete policy “deploy-prod”?' });
    await expect(dialog.textContent()).resolves.toMatch(/The tokens it issued stop working too/);
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'delete-policy-phone');
    expect(await seriousViolations(page)).toStrictEqual([]);
    await dialog.getByRole('button', { name: 'Delete policy' }).click();
    await page.getByText('This account has no federation policies yet.').waitFor();
    await page.getByRole('status').filter({ hasText: 'Policy deploy-prod deleted' }).waitFor();
  });

  it('shows someone without the permission New policy disabled, and why', async () => {
    const page = await world.pageFor('bob', `${SA_ETL}/federation`);
    const button = page.getByRole('button', { name: 'New policy' });
    await expect(button.isDisabled()).resolves.toBe(true);
    await button.hover();
    await expect(page.getByRole('tooltip').textContent()).resolves.toMatch(
      /^You need the permission to manage access tokens in finance/,
    );
  });
});
