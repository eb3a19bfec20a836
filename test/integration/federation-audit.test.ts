import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ids } from '../../shared/kernel/ids.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { importDeps, importDirectory } from '../../shared/directory/import.js';
import { adminTokens, exampleDirectory, startTestService, type TestService } from '../support/service.js';

/**
 * Federation policies are standing grants: who made or removed one is part of the
 * account's audit trail, written in the same transaction as the policy, read through
 * token-events and streamed like every event. And no token makes one: a policy would
 * keep issuing tokens after the token that made it was deleted.
 */
let api: TestService;
let directory: string;
let eventsFile: string;
/** The next event id, when a test wants to collide with an event written beforehand. */
let forcedEventId: string | undefined;

const PLATFORM = '/api/v1/auth/service-accounts/sa-platform/federation-policies';
const PLATFORM_EVENTS = '/api/v1/auth/service-accounts/sa-platform/token-events';
const FINANCE = '/api/v1/domains/finance/auth/service-accounts/sa-etl/federation-policies';
const FINANCE_EVENTS = '/api/v1/domains/finance/auth/service-accounts/sa-etl/token-events';
const policyBody = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  issuer: 'https://ci.example.test',
  subject: 'repo:org/app:ref:refs/heads/main',
  ...extra,
});

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'policy-events-'));
  eventsFile = join(directory, 'events.jsonl');
  api = await startTestService({
    eventsFile,
    parts: () => ({ ids: { ...ids, eventId: (at: Date) => forcedEventId ?? ids.eventId(at) } }),
  });
});

afterAll(async () => {
  await api?.stop();
  rmSync(directory, { recursive: true, force: true });
});

interface Event {
  type: string;
  tokenName: string;
  actor: Record<string, unknown>;
  policy?: Record<string, unknown>;
}

async function events(path: string, as = 'root', type?: string): Promise<Event[]> {
  const reply = await api.call('GET', `${path}?limit=100${type ? `&type=${type}` : ''}`, { as });
  expect(reply.status).toBe(200);
  return reply.body.events;
}

/** The events the stream forwarded to the local file so far. */
function streamed(): Event[] {
  if (!existsSync(eventsFile)) return [];
  return readFileSync(eventsFile, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** The items a policy's creation or deletion writes (the calling token's own use is recorded on it, elsewhere). */
async function policiesAndEvents() {
  const written = (item: Record<string, unknown>) =>
    String(item.pk).startsWith('EVENTS#') || /^FED(POLICY#|COUNTER$)/.test(String(item.sk));
  return (await api.scanTable()).filter(written);
}

async function eventually<T>(read: () => T, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = read();
    if (done(value) || i >= 100) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('federation policy events', () => {
  it('record who created a policy, through which request, and the whole policy', async () => {
    const body = policyBody('deploy', { claims: { ref: ['refs/heads/main'] } });
    const headers = { 'User-Agent': 'policy-audit/1.0' };
    const created = await api.call('POST', FINANCE, { as: 'alice', headers, body });
    expect(created.status).toBe(201);
    const [event] = await events(FINANCE_EVENTS, 'alice', 'federation_policy.created');
    expect(event).toMatchObject({
      type: 'federation_policy.created',
      serviceAccountId: 'sa-etl',
      // About no token: the policy is in `policy`.
      tokenName: '',
      actor: { userId: 'alice', authenticatedBy: 'JWT' },
      requestId: expect.any(String),
      sourceIp: expect.stringMatching(/127\.0\.0\.1/),
      userAgent: 'policy-audit/1.0',
      changes: {},
    });
    expect(event!.policy).toStrictEqual(created.body);
  });

  it('record a policy with a limit once its key exists, and its deletion, with the whole policy', async () => {
    const created = await api.call('POST', PLATFORM, { as: 'root', body: policyBody('limited', { maxRps: 5 }) });
    expect(created.status).toBe(201);
    expect((await api.call('DELETE', `${PLATFORM}/${created.body.policyId}`, { as: 'root' })).status).toBe(204);
    const trail = (await events(PLATFORM_EVENTS)).filter((event) => event.policy?.policyId === created.body.policyId);
    expect(trail.map((event) => [event.type, event.actor.userId])).toStrictEqual([
      ['federation_policy.deleted', 'root'],
      ['federation_policy.created', 'root'],
    ]);
    for (const event of trail) expect(event.policy).toStrictEqual(created.body);
  });

  it('are streamed like every event', async () => {
    const created = await api.call('POST', PLATFORM, { as: 'root', body: policyBody('streamed') });
    expect((await api.call('DELETE', `${PLATFORM}/${created.body.policyId}`, { as: 'root' })).status).toBe(204);
    const mine = (all: Event[]) =>
      all.filter((event) => event.policy?.policyId === created.body.policyId).map(({ type }) => type);
    const forwarded = await eventually(streamed, (all) => mine(all).length === 2);
    expect(mine(forwarded).sort()).toStrictEqual(['federation_policy.created', 'federation_policy.deleted']);
  });

  it('are written in the policy’s own transaction: no event, no policy; no event, no deletion', async () => {
    // An event already stored under the id the next one will get: its put fails, and so must the change.
    const taken = ids.eventId(new Date());
    // In the account's trail: that of its incarnation.
    const { incarnation } = (await api.service.runtime.directory.getPrincipal('sa-platform'))!;
    const item = { ...keys.event('sa-platform', taken, incarnation), note: 'taken' };
    await api.documentClient.send(new PutCommand({ TableName: api.tableName, Item: item }));
    const before = await api.scanTable();
    forcedEventId = taken;
    try {
      // The event's id was taken: a retry would get another; meanwhile nothing is half-written.
      const refused = await api.call('POST', PLATFORM, { as: 'root', body: policyBody('unrecorded') });
      expect(refused.body).toMatchObject({ status: 409, code: 'CONCURRENT_UPDATE' });
      expect(await api.scanTable()).toStrictEqual(before);
      forcedEventId = undefined;
      const kept = await api.call('POST', PLATFORM, { as: 'root', body: policyBody('kept') });
      expect(kept.status).toBe(201);
      const withKept = await api.scanTable();
      forcedEventId = taken;
      const deleted = await api.call('DELETE', `${PLATFORM}/${kept.body.policyId}`, { as: 'root' });
      expect(deleted.body).toMatchObject({ status: 409, code: 'CONCURRENT_UPDATE' });
      expect(await api.scanTable()).toStrictEqual(withKept);
    } finally {
      forcedEventId = undefined;
    }
  });
});

describe('token callers and policies', () => {
  let token = '';
  beforeAll(async () => {
    // sa-rotator is an admin service account: its token may manage sa-platform's tokens.
    const created = await api.call('POST', adminTokens('sa-rotator'), { as: 'root', body: { name: 'automation' } });
    expect(created.status).toBe(201);
    token = created.body.token;
  });

  it('may not create a policy, whatever it asks for, and nothing is written', async () => {
    const before = await policiesAndEvents();
    const bodies = [policyBody('from-a-token'), policyBody('from-a-token', { maxRps: 1 }), { name: 'not even valid' }];
    for (const body of bodies) {
      const reply = await api.call('POST', PLATFORM, { token, body });
      expect(reply.status).toBe(403);
      expect(reply.body).toMatchObject({ code: 'TOKEN_CANNOT_CREATE_POLICY', status: 403 });
    }
    expect(await policiesAndEvents()).toStrictEqual(before);
  });

  it('may still list, read and delete policies, and the deletion names the token', async () => {
    const created = await api.call('POST', PLATFORM, { as: 'root', body: policyBody('made-by-a-person') });
    expect((await api.call('GET', PLATFORM, { token })).status).toBe(200);
    expect((await api.call('GET', `${PLATFORM}/${created.body.policyId}`, { token })).body).toStrictEqual(created.body);
    expect((await api.call('DELETE', `${PLATFORM}/${created.body.policyId}`, { token })).status).toBe(204);
    const deletions = await events(PLATFORM_EVENTS, 'root', 'federation_policy.deleted');
    const deleted = deletions.find((event) => event.policy?.policyId === created.body.policyId);
    const actor = { userId: 'sa-rotator', authenticatedBy: 'ACCESS_TOKEN', tokenName: 'automation' };
    expect(deleted?.actor).toMatchObject(actor);
  });
});

describe('a directory import that removes an account', () => {
  it('records the deletion of each of its policies, by the import', async () => {
    const policies = '/api/v1/domains/marketing/auth/service-accounts/sa-campaigns/federation-policies';
    const created = await api.call('POST', policies, { as: 'dave', body: policyBody('campaigns') });
    expect(created.status).toBe(201);
    const directory = exampleDirectory();
    const without = { ...directory, users: directory.users.filter((user) => user.id !== 'sa-campaigns') };
    await importDirectory(importDeps(api.service.runtime), without, { replace: true });
    // Read from the table (admins read it by incarnation: incarnation-policies.test.ts).
    const ofPolicy = (item: Record<string, unknown>) => (item.policy as { policyId?: string } | undefined)?.policyId;
    const items = await api.scanTable();
    const isDeletion = (item: Record<string, unknown>) => item.type === 'federation_policy.deleted';
    const deleted = items.find((item) => isDeletion(item) && ofPolicy(item) === created.body.policyId);
    const actor = { userId: 'directory-import', authenticatedBy: 'SYSTEM' };
    expect(deleted).toMatchObject({ serviceAccountId: 'sa-campaigns', actor });
  });
});
