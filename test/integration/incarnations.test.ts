import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Directory, DirectoryUser } from '../../shared/directory/directory.js';
import { importDeps, importDirectory } from '../../shared/directory/import.js';
import { eventId } from '../../shared/kernel/ids.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { createToken } from '../../shared/tokens/create-token.js';
import { adminTokens, domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * An account's audit trail belongs to its incarnation. An import that removes a service
 * account and a later one that adds the same id again (here in another group) make two
 * accounts: the new one's managers read an empty trail, never the old account's events
 * (other people's IPs and user agents), and nothing decided for the old account lands on
 * the new one. Admins who shared a group with the old account still read its trail, by
 * its incarnation, until its retention ends.
 */

const user = (id: string, groups: string[], more: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id,
  type: 'USER',
  domains: ['finance'],
  groups,
  adminRoles: [],
  ...more,
});
const account = (id: string, groups: string[]): DirectoryUser => user(id, groups, { type: 'SERVICE_ACCOUNT' });

const MANAGE = 'access_token.manage';

/** alice manages the account as it was (data-eng), carol as it comes back (analytics). */
function directory(accounts: DirectoryUser[]): Directory {
  return {
    domains: [{ id: 'finance', authorization: 'ROLE_V1' }],
    users: [
      user('alice', ['data-eng']),
      user('carol', ['analytics']),
      // Admins: root shares a group with the old account only, auditor with the new one only.
      user('root', ['data-eng'], { domains: [], adminRoles: ['ADMIN'] }),
      user('auditor', ['analytics'], { domains: [], adminRoles: ['SECURITY_AUDITOR'] }),
      ...accounts,
    ],
    roles: [{ domain: 'finance', name: 'managers', permissions: [MANAGE], users: ['alice', 'carol'], groups: [] }],
    bundles: [],
  };
}
const OLD = [account('sa-etl', ['data-eng']), account('sa-gone', ['data-eng']), account('sa-legacy', ['data-eng'])];
const NEW = [account('sa-etl', ['analytics']), account('sa-legacy', ['analytics'])];

const FIN = domainTokens('finance', 'sa-etl');
const ADMIN = adminTokens('sa-etl');
const events = (base: string, query = '') => `${base.replace(/\/tokens$/, '/token-events')}${query}`;
const incarnationsOf = (id: string) => `/api/v1/auth/service-accounts/${id}/incarnations`;
const OLD_AGENT = { 'User-Agent': 'old-agent/1.0' };
/** Each event as `type tokenName`, newest first. */
const summary = (events: { type: string; tokenName: string }[]) =>
  events.map((event) => `${event.type} ${event.tokenName}`);

let api: TestService;
const run = (accounts: DirectoryUser[]) =>
  importDirectory(importDeps(api.service.runtime), directory(accounts), { replace: true });
const incarnationOf = async (id: string) => (await api.service.runtime.directory.getPrincipal(id))?.incarnation;

let oldToken = '';
let oldIncarnation: string | undefined;
let goneIncarnation: string | undefined;

beforeAll(async () => {
  api = await startTestService({ throttle: false, directory: directory(OLD) });
  // The old account's life: a token made and used, with alice's address and agent on record.
  const created = await api.call('POST', FIN, { as: 'alice', body: { name: 'old-ci' }, headers: OLD_AGENT });
  expect(created.status).toBe(201);
  oldToken = created.body.token;
  const limited = await api.call('PATCH', `${FIN}/old-ci`, { as: 'alice', body: { maxRps: 3 }, headers: OLD_AGENT });
  expect(limited.status).toBe(200);
  const gone = await api.call('POST', domainTokens('finance', 'sa-gone'), { as: 'alice', body: { name: 'gone-ci' } });
  expect(gone.status).toBe(201);
  // sa-legacy stands for an account created before incarnations: no incarnation on its
  // profile nor record of one, and an event in the partition its trail always had.
  const given = (await incarnationOf('sa-legacy'))!;
  const table = { TableName: api.tableName };
  await api.documentClient.send(new DeleteCommand({ ...table, Key: keys.incarnation('sa-legacy', given) }));
  const profile = keys.profile('sa-legacy');
  await api.documentClient.send(new UpdateCommand({ ...table, Key: profile, UpdateExpression: 'REMOVE incarnation' }));
  const legacyEvent = {
    id: eventId(new Date()),
    time: new Date().toISOString(),
    type: 'token.created',
    serviceAccountId: 'sa-legacy',
    tokenName: 'from-before',
    actor: { userId: 'alice', authenticatedBy: 'JWT' },
    requestId: null,
    sourceIp: '198.51.100.7',
    userAgent: 'legacy-agent',
    changes: {},
  };
  const legacyItem = { ...keys.event('sa-legacy', legacyEvent.id), ...legacyEvent };
  await api.documentClient.send(new PutCommand({ ...table, Item: legacyItem }));
  const legacyTrail = await api.call('GET', events(domainTokens('finance', 'sa-legacy')), { as: 'alice' });
  expect(legacyTrail.body.events.map((event: { tokenName: string }) => event.tokenName)).toStrictEqual(['from-before']);

  oldIncarnation = await incarnationOf('sa-etl');
  goneIncarnation = await incarnationOf('sa-gone');
  expect(oldIncarnation).toMatch(/^[0-9a-z]{21}$/);
  // Removed, then added again in another group.
  expect((await run([])).accountsRetired.sort()).toStrictEqual(['sa-etl', 'sa-gone']);
  await run(NEW);
});
afterAll(async () => api?.stop());

describe('an account removed by an import and added again', () => {
  it('is another account: a new incarnation, no tokens, and the old token refused', async () => {
    const now = await incarnationOf('sa-etl');
    expect(now).toMatch(/^[0-9a-z]{21}$/);
    expect(now).not.toBe(oldIncarnation);
    expect((await api.call('GET', FIN, { as: 'carol' })).body.tokens).toStrictEqual([]);
    expect((await api.call('GET', '/api/v1/auth/whoami', { token: oldToken })).status).toBe(401);
  });

  it('starts with an empty trail: its managers and admins read none of the old account’s events', async () => {
    const manager = await api.call('GET', events(FIN), { as: 'carol' });
    expect(manager.status).toBe(200);
    expect(manager.body).toStrictEqual({ events: [], nextToken: null });
    const admin = await api.call('GET', events(ADMIN), { as: 'auditor' });
    expect(admin.body).toStrictEqual({ events: [], nextToken: null });
    // Filters and cursors stay within the trail too.
    expect((await api.call('GET', events(FIN, '?tokenName=old-ci'), { as: 'carol' })).body.events).toStrictEqual([]);
    // The domain path takes no incarnation: the parameter changes nothing there.
    const named = await api.call('GET', events(FIN, `?incarnation=${oldIncarnation}`), { as: 'carol' });
    expect(named.body.events).toStrictEqual([]);
  });

  it('records its own events in its own trail', async () => {
    expect((await api.call('POST', FIN, { as: 'carol', body: { name: 'new-ci' } })).status).toBe(201);
    const trail = (await api.call('GET', events(FIN), { as: 'carol' })).body.events;
    expect(summary(trail)).toStrictEqual(['token.created new-ci']);
    expect(trail[0].incarnation).toBe(await incarnationOf('sa-etl'));
    await api.call('DELETE', `${FIN}/new-ci`, { as: 'carol' });
  });

  it('keeps the old trail readable to an admin who shared a group with the old account, by incarnation', async () => {
    // root shares nothing with the account as it is now...
    expect((await api.call('GET', events(ADMIN), { as: 'root' })).body.code).toBe('NOT_SAME_GROUP');
    // ...but did with the one that was, which the incarnations route names.
    const listed = await api.call('GET', incarnationsOf('sa-etl'), { as: 'root' });
    expect(listed.status).toBe(200);
    const at = expect.any(String);
    const ended = { incarnation: oldIncarnation, current: false, startedAt: at, endedAt: at };
    expect(listed.body.incarnations).toStrictEqual([ended]);
    const old = await api.call('GET', events(ADMIN, `?incarnation=${oldIncarnation}`), { as: 'root' });
    expect(old.status).toBe(200);
    const oldTrail = ['token.deleted old-ci', 'token.updated old-ci', 'token.created old-ci'];
    expect(summary(old.body.events)).toStrictEqual(oldTrail);
    const creation = { actor: { userId: 'alice' }, userAgent: 'old-agent/1.0', incarnation: oldIncarnation };
    expect(old.body.events[2]).toMatchObject(creation);
    expect(old.body.events[0].actor).toStrictEqual({ userId: 'directory-import', authenticatedBy: 'SYSTEM' });
    // Paged like any trail.
    const first = await api.call('GET', events(ADMIN, `?incarnation=${oldIncarnation}&limit=2`), { as: 'root' });
    const next = `?incarnation=${oldIncarnation}&nextToken=${first.body.nextToken}`;
    const rest = await api.call('GET', events(ADMIN, next), { as: 'root' });
    expect([...first.body.events, ...rest.body.events]).toStrictEqual(old.body.events);
  });

  it('shows an admin only the incarnations they share a group with, and the old trail to none other', async () => {
    const listed = await api.call('GET', incarnationsOf('sa-etl'), { as: 'auditor' });
    const now = await incarnationOf('sa-etl');
    const current = { incarnation: now, current: true, startedAt: expect.any(String), endedAt: null };
    expect(listed.body.incarnations).toStrictEqual([current]);
    const refused = await api.call('GET', events(ADMIN, `?incarnation=${oldIncarnation}`), { as: 'auditor' });
    expect({ status: refused.status, code: refused.body.code }).toStrictEqual({ status: 403, code: 'NOT_SAME_GROUP' });
    // Not an admin: nothing, whatever they manage.
    for (const caller of ['alice', 'carol']) {
      expect((await api.call('GET', incarnationsOf('sa-etl'), { as: caller })).body.code).toBe('FORBIDDEN');
      const trail = await api.call('GET', events(ADMIN, `?incarnation=${oldIncarnation}`), { as: caller });
      expect(trail.body.code).toBe('FORBIDDEN');
    }
    // An incarnation the id never had, or no such id at all.
    for (const incarnation of ['0000000000000000000000'.slice(1), 'not-one', '']) {
      const unknown = await api.call('GET', events(ADMIN, `?incarnation=${incarnation}`), { as: 'root' });
      expect(unknown.body.code).toBe('SERVICE_ACCOUNT_NOT_FOUND');
    }
    const never = await api.call('GET', incarnationsOf('sa-never'), { as: 'root' });
    expect(never.body.code).toBe('SERVICE_ACCOUNT_NOT_FOUND');
  });

  it('keeps the trail of an account removed for good, for the admins who shared a group with it', async () => {
    const listed = await api.call('GET', incarnationsOf('sa-gone'), { as: 'root' });
    expect(listed.body.incarnations).toMatchObject([{ incarnation: goneIncarnation, current: false }]);
    const GONE = adminTokens('sa-gone');
    const trail = await api.call('GET', events(GONE, `?incarnation=${goneIncarnation}`), { as: 'root' });
    expect(summary(trail.body.events)).toStrictEqual(['token.deleted gone-ci', 'token.created gone-ci']);
    expect((await api.call('GET', events(GONE), { as: 'root' })).body.code).toBe('SERVICE_ACCOUNT_NOT_FOUND');
  });

  it('gives an account older than incarnations a new one when it comes back, its legacy trail to admins', async () => {
    const legacy = domainTokens('finance', 'sa-legacy');
    expect(await incarnationOf('sa-legacy')).toMatch(/^[0-9a-z]{21}$/);
    expect((await api.call('GET', events(legacy), { as: 'carol' })).body.events).toStrictEqual([]);
    const listed = await api.call('GET', incarnationsOf('sa-legacy'), { as: 'root' });
    const legacyTrail = { incarnation: 'legacy', current: false, startedAt: null, endedAt: expect.any(String) };
    expect(listed.body.incarnations).toStrictEqual([legacyTrail]);
    const trail = await api.call('GET', events(adminTokens('sa-legacy'), '?incarnation=legacy'), { as: 'root' });
    expect(trail.body.events).toMatchObject([{ tokenName: 'from-before', userAgent: 'legacy-agent' }]);
    expect(trail.body.events[0].incarnation).toBeUndefined();
  });

  it('lands nothing decided for the old account on the new one: a create read before the removal', async () => {
    const deps = api.service.runtime;
    const stale = { serviceAccountId: 'sa-etl', name: 'stale', maxRps: null, expiresAt: null, createdBy: 'alice' };
    const refused = { code: 'SERVICE_ACCOUNT_NOT_FOUND' };
    await expect(createToken(deps, { ...stale, incarnation: oldIncarnation })).rejects.toMatchObject(refused);
    // Nor one that read no incarnation at all (an account older than incarnations).
    await expect(createToken(deps, { ...stale, incarnation: undefined })).rejects.toMatchObject(refused);
    expect((await api.call('GET', FIN, { as: 'carol' })).body.tokens).toStrictEqual([]);
  });
});
