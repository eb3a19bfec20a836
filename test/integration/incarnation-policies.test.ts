import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Directory, DirectoryUser } from '../../shared/directory/directory.js';
import { importDeps, importDirectory } from '../../shared/directory/import.js';
import { eventPartition } from '../../shared/dynamodb/keys.js';
import { adminTokens, domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * Federation policy events belong to the trail of the account's incarnation, like every
 * event: the policy carries the incarnation it was made for. Its managers read them
 * while the account lasts; an import that removes the account deletes its policies with
 * their events in that same trail; and once the id is added again (in another group,
 * managed by other people), the new account's managers see none of it, while an admin who
 * shared a group with the old account reads it by its incarnation.
 */

const user = (id: string, groups: string[], more: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id,
  type: 'USER',
  domains: ['finance'],
  groups,
  adminRoles: [],
  ...more,
});

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
const etl = (groups: string[]) => user('sa-etl', groups, { type: 'SERVICE_ACCOUNT' });

const POLICIES = '/api/v1/domains/finance/auth/service-accounts/sa-etl/federation-policies';
const EVENTS = domainTokens('finance', 'sa-etl').replace(/\/tokens$/, '/token-events');
const ADMIN_EVENTS = adminTokens('sa-etl').replace(/\/tokens$/, '/token-events');
const POLICY_EVENTS = '?type=federation_policy.created';
const policyBody = (name: string) => ({
  name,
  issuer: 'https://ci.example.test',
  subject: 'repo:org/app:ref:refs/heads/main',
});

interface Event {
  type: string;
  actor: { userId: string };
  policy?: { name: string };
  incarnation?: string;
}
/** Each policy event as `type policy actor`, newest first. */
const summary = (events: Event[]) => events.map((event) => `${event.type} ${event.policy?.name} ${event.actor.userId}`);

let api: TestService;
const run = (accounts: DirectoryUser[]) =>
  importDirectory(importDeps(api.service.runtime), directory(accounts), { replace: true });
const incarnationOf = async (id: string) => (await api.service.runtime.directory.getPrincipal(id))?.incarnation;
const read = async (path: string, as: string) => {
  const reply = await api.call('GET', path, { as });
  expect(reply.status).toBe(200);
  return reply.body.events as Event[];
};

let oldIncarnation: string | undefined;
/** Policy events as its manager read them while the old account lasted. */
let whileItLasted: Event[] = [];

beforeAll(async () => {
  api = await startTestService({ throttle: false, directory: directory([etl(['data-eng'])]) });
  oldIncarnation = await incarnationOf('sa-etl');
  expect(oldIncarnation).toMatch(/^[0-9a-z]{21}$/);
  // The old account's trust: a policy that stays until the import, one its manager deletes.
  expect((await api.call('POST', POLICIES, { as: 'alice', body: policyBody('deploy') })).status).toBe(201);
  const brief = await api.call('POST', POLICIES, { as: 'alice', body: policyBody('brief') });
  expect(brief.status).toBe(201);
  expect((await api.call('DELETE', `${POLICIES}/${brief.body.policyId}`, { as: 'alice' })).status).toBe(204);
  whileItLasted = await read(EVENTS, 'alice');
  // Removed, then added again in another group.
  expect((await run([])).policiesDeleted).toBe(1);
  await run([etl(['analytics'])]);
});
afterAll(async () => api?.stop());

describe('federation policy events and the incarnation of their account', () => {
  it('are read by the account’s manager through token-events, in its current incarnation’s trail', () => {
    expect(summary(whileItLasted)).toStrictEqual([
      'federation_policy.deleted brief alice',
      'federation_policy.created brief alice',
      'federation_policy.created deploy alice',
    ]);
    for (const event of whileItLasted) expect(event.incarnation).toBe(oldIncarnation);
  });

  it('go, for the policies an import deletes with their account, to the removed account’s trail', async () => {
    const items = await api.scanTable();
    const ofDeploy = (item: Record<string, unknown>) => (item.policy as { name?: string })?.name === 'deploy';
    const deletion = items.find((item) => item.type === 'federation_policy.deleted' && ofDeploy(item));
    expect(deletion).toMatchObject({
      pk: eventPartition('sa-etl', oldIncarnation),
      actor: { userId: 'directory-import', authenticatedBy: 'SYSTEM' },
      incarnation: oldIncarnation,
    });
    // Nothing of the old account's policies in the partition of an account older than incarnations.
    const legacy = items.filter((item) => item.pk === eventPartition('sa-etl') && String(item.sk).startsWith('EVENT#'));
    expect(legacy).toStrictEqual([]);
  });

  it('stay out of the re-added account’s trail: its managers and admins read none of them', async () => {
    expect(await incarnationOf('sa-etl')).not.toBe(oldIncarnation);
    expect(await read(EVENTS, 'carol')).toStrictEqual([]);
    expect(await read(`${EVENTS}${POLICY_EVENTS}`, 'carol')).toStrictEqual([]);
    expect(await read(ADMIN_EVENTS, 'auditor')).toStrictEqual([]);
    // Nor does the account it trusted come back: the new account has no policies.
    expect((await api.call('GET', POLICIES, { as: 'carol' })).body).toStrictEqual({ policies: [] });
  });

  it('stay readable by incarnation to an admin who shared a group with the old account, and no other', async () => {
    const old = await read(`${ADMIN_EVENTS}?incarnation=${oldIncarnation}`, 'root');
    expect(summary(old)).toStrictEqual([
      'federation_policy.deleted deploy directory-import',
      ...summary(whileItLasted),
    ]);
    const refused = await api.call('GET', `${ADMIN_EVENTS}?incarnation=${oldIncarnation}`, { as: 'auditor' });
    expect({ status: refused.status, code: refused.body.code }).toStrictEqual({ status: 403, code: 'NOT_SAME_GROUP' });
  });
});
