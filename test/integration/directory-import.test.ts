import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Directory } from '../../shared/directory/directory.js';
import { importDeps, importDirectory } from '../../shared/directory/import.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { newTokenItems } from '../../shared/tokens/token-items.js';
import { mintToken } from '../../shared/kernel/token-format.js';
import { domainTokens, exampleDirectory, startTestService, type TestService } from '../support/service.js';

/**
 * A token never outlives its account: an import that removes a service account, or makes
 * it another type, deletes its tokens (and their keys) first; the authorizer then refuses
 * them, and re-adding the id never revives one.
 */
let api: TestService;
const FIN = domainTokens('finance', 'sa-etl');
const base = exampleDirectory();
const without = (directory: Directory, id: string): Directory => ({
  ...directory,
  users: directory.users.filter((user) => user.id !== id),
});
const retyped = (directory: Directory, id: string): Directory => ({
  ...directory,
  users: directory.users.map((user) => (user.id === id ? { ...user, type: 'USER' as const } : user)),
});
const run = (directory: Directory, replace = true) =>
  importDirectory(importDeps(api.service.runtime), directory, { replace });
const whoami = async (token: string) => (await api.call('GET', '/api/v1/auth/whoami', { token })).status;
/** An account's tokens, credentials and counter (its audit events are kept on purpose). */
const itemsOf = async (accountId: string) =>
  (await api.scanTable()).filter(
    (item) =>
      !String(item.pk).startsWith('EVENTS#') && (item.pk === `SA#${accountId}` || item.serviceAccountId === accountId),
  );

beforeAll(async () => {
  api = await startTestService({ throttle: false });
});
beforeEach(async () => {
  await run(base);
});
afterAll(async () => api?.stop());

async function tokensOfEtl(): Promise<string[]> {
  const made: string[] = [];
  for (const [name, maxRps] of [
    ['ci', 5],
    ['nightly', null],
  ] as const) {
    const created = await api.call('POST', FIN, { as: 'alice', body: { name, maxRps } });
    expect(created.status).toBe(201);
    made.push(created.body.token);
  }
  return made;
}

describe('an import that removes a service account or changes its type', () => {
  it('deletes its tokens and their keys, says so, and its tokens answer 401 from then on', async () => {
    const tokens = await tokensOfEtl();
    for (const token of tokens) expect(await whoami(token)).toBe(200);
    const result = await run(without(base, 'sa-etl'));
    expect(result).toMatchObject({ tokensDeleted: 2, accountsRetired: ['sa-etl'] });
    for (const token of tokens) expect(await whoami(token)).toBe(401);
    expect(
      (await itemsOf('sa-etl')).filter(
        (item) => String(item.sk).startsWith('TOKEN#') || String(item.pk).startsWith('CRED#'),
      ),
    ).toStrictEqual([]);
    // The limited token's key went with it.
    expect((await api.scanTable()).filter((item) => String(item.pk).startsWith('LOCALKEY#'))).toStrictEqual([]);
  });

  it('deletes its federation policies too, so the id re-added later trusts no CI job', async () => {
    const POLICIES = FIN.replace(/\/tokens$/, '/federation-policies');
    const policy = { name: 'deploy', issuer: 'https://ci.example.test', subject: 'repo:org/app:ref:refs/heads/main' };
    expect((await api.call('POST', POLICIES, { as: 'alice', body: policy })).status).toBe(201);
    const result = await run(without(base, 'sa-etl'));
    expect(result).toMatchObject({ tokensDeleted: 0, policiesDeleted: 1, accountsRetired: ['sa-etl'] });
    await run(base);
    const listed = await api.call('GET', POLICIES, { as: 'alice' });
    expect(listed.status).toBe(200);
    expect(listed.body.policies).toStrictEqual([]);
    expect((await itemsOf('sa-etl')).filter((item) => String(item.sk).startsWith('FEDPOLICY#'))).toStrictEqual([]);
  });

  it('does the same when the account becomes a user, even in an upsert, and never revives a token when the id comes back', async () => {
    const tokens = await tokensOfEtl();
    expect(await run(retyped(base, 'sa-etl'), false)).toMatchObject({ tokensDeleted: 2 });
    for (const token of tokens) expect(await whoami(token)).toBe(401);
    expect(await run(base)).toMatchObject({ tokensDeleted: 0 });
    for (const token of tokens) expect(await whoami(token)).toBe(401);
    expect((await api.call('GET', FIN, { as: 'alice' })).body.tokens).toStrictEqual([]);
  });

  it('is safe to run again: a second run deletes and writes nothing', async () => {
    await tokensOfEtl();
    expect(await run(without(base, 'sa-etl'))).toMatchObject({ tokensDeleted: 2 });
    expect(await run(without(base, 'sa-etl'))).toMatchObject({ tokensDeleted: 0, written: 0, deleted: 0 });
  });

  it('refuses a create for an account it has begun to retire, and finishes a retirement a failed run left half-done', async () => {
    const [first] = await tokensOfEtl();
    // A run that stopped after retiring the account and before sweeping its tokens.
    await api.service.runtime.directory.retire('sa-etl');
    const late = await api.call('POST', FIN, { as: 'alice', body: { name: 'late' } });
    expect({ status: late.status, code: late.body.code }).toStrictEqual({
      status: 404,
      code: 'SERVICE_ACCOUNT_NOT_FOUND',
    });
    // The next run keeps sa-etl in the file, yet still finishes the retirement: no old token comes back.
    expect(await run(base)).toMatchObject({ tokensDeleted: 2, accountsRetired: ['sa-etl'] });
    expect(await whoami(first!)).toBe(401);
    expect((await api.call('POST', FIN, { as: 'alice', body: { name: 'fresh' } })).status).toBe(201);
  });

  it('deletes tokens an older version left behind for an account that is not a service account', async () => {
    const minted = mintToken();
    const at = new Date().toISOString();
    const items = newTokenItems({
      record: {
        serviceAccountId: 'gone',
        name: 'left',
        lookupId: minted.lookupId,
        prefix: minted.prefix,
        status: 'ACTIVE',
        maxRps: null,
        expiresAt: null,
        createdAt: at,
        createdBy: 'x',
        updatedAt: at,
        lastUsedAt: null,
        rotatedAt: null,
        rotatedBy: null,
        previousSecret: null,
      },
      secretHash: minted.secretHash,
      removeAfter: null,
    });
    for (const item of [items.token, items.credential])
      await api.documentClient.send(new PutCommand({ TableName: api.tableName, Item: item }));
    await api.documentClient.send(
      new UpdateCommand({
        TableName: api.tableName,
        Key: keys.counter('gone'),
        UpdateExpression: 'ADD tokenCount :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    // Until then the functions refuse it anyway: a token acts only for a service account of the directory.
    expect(await whoami(minted.token)).toBe(401);
    expect(await run(base)).toMatchObject({ tokensDeleted: 1, accountsRetired: ['gone'] });
    expect(await itemsOf('gone')).toStrictEqual([expect.objectContaining({ sk: 'COUNTER' })]);
    // The deletion is on record, as the import's.
    const events = (await api.scanTable()).filter((item) => item.pk === 'EVENTS#gone');
    expect(events).toMatchObject([
      { type: 'token.deleted', tokenName: 'left', actor: { userId: 'directory-import', authenticatedBy: 'SYSTEM' } },
    ]);
  });
});

describe('an upsert import states the grants of each domain it mentions', () => {
  const MKT = domainTokens('marketing', 'sa-campaigns');

  it('takes a bundle grant away when the file lists the bundle without the user, without --replace', async () => {
    expect((await api.call('GET', MKT, { as: 'erin' })).status).toBe(200);
    const bundles = base.bundles.map((bundle) => ({
      ...bundle,
      users: bundle.users.filter((user) => user !== 'erin'),
    }));
    await run({ domains: [], users: [], roles: [], bundles }, false);
    const refused = await api.call('GET', MKT, { as: 'erin' });
    expect({ status: refused.status, code: refused.body.code }).toStrictEqual({ status: 403, code: 'FORBIDDEN' });
    // Others keep theirs: dave holds the bundle through his group.
    expect((await api.call('GET', MKT, { as: 'dave' })).status).toBe(200);
  });

  it('takes a role away when the file states its domain without it, and leaves unmentioned domains alone', async () => {
    await run({ domains: [{ id: 'finance', authorization: 'ROLE_V1' }], users: [], roles: [], bundles: [] }, false);
    expect((await api.call('GET', FIN, { as: 'alice' })).status).toBe(403);
    expect((await api.call('GET', domainTokens('marketing', 'sa-campaigns'), { as: 'erin' })).status).toBe(200);
  });

  it('edits a named bundle in place', async () => {
    const named = {
      domain: 'marketing',
      name: 'campaign-tokens',
      permissions: ['MANAGE_ACCESS_TOKEN'],
      users: ['frank'],
      groups: [],
    };
    await run({ domains: [], users: [], roles: [], bundles: [named] }, false);
    expect((await api.call('GET', MKT, { as: 'frank' })).status).toBe(200);
    await run({ domains: [], users: [], roles: [], bundles: [{ ...named, users: [] }] }, false);
    expect((await api.call('GET', MKT, { as: 'frank' })).status).toBe(403);
  });
});
