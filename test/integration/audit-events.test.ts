import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { importDeps, importDirectory } from '../../shared/directory/import.js';
import { eventId, ids } from '../../shared/kernel/ids.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { hashSecret, parseToken } from '../../shared/kernel/token-format.js';
import { adminTokens, domainTokens, exampleDirectory, startTestService, type TestService } from '../support/service.js';

/**
 * The audit trail over HTTP: every change to a token leaves an event written in the same
 * transaction (so a change that fails leaves none, and none exists without its change),
 * listed newest first, paged and filtered, and forwarded from the table's stream to the
 * local events file as it would be to EventBridge in AWS.
 */
let api: TestService;
let folder: string;
let eventsFile: string;
/** While set, the id of every event the service makes (to make its transactions fail on purpose). */
let forcedEventId: string | undefined;
const FIN = domainTokens('finance', 'sa-etl');
const EVENTS = '/api/v1/domains/finance/auth/service-accounts/sa-etl/token-events';

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'events-'));
  eventsFile = join(folder, 'events.jsonl');
  api = await startTestService({
    throttle: false,
    eventsFile,
    parts: () => ({
      ids: {
        ...ids,
        eventId: (at) => forcedEventId ?? eventId(at),
      },
    }),
  });
});
afterAll(async () => {
  await api?.stop();
  rmSync(folder, { recursive: true, force: true });
});

const list = async (query = '', as = 'alice') => (await api.call('GET', `${EVENTS}${query}`, { as })).body;

describe('every change is recorded with its origin', () => {
  let secret: string;

  it('records create, update, rotate and delete, newest first, with who, from where and what changed', async () => {
    const created = await api.call('POST', FIN, {
      as: 'alice',
      body: { name: 'audited', maxRps: 5 },
      headers: { 'User-Agent': 'terraform/1.9' },
    });
    secret = created.body.token;
    await api.call('PATCH', `${adminTokens('sa-etl')}/audited`, {
      as: 'root',
      body: { status: 'SUSPENDED', maxRps: 7 },
    });
    const rotated = await api.call('POST', `${FIN}/audited/rotate`, { as: 'alice', body: { gracePeriodSeconds: 60 } });
    await api.call('DELETE', `${FIN}/audited`, { as: 'alice' });
    const { events } = await list('?tokenName=audited');
    expect(events.map((event: { type: string }) => event.type)).toStrictEqual([
      'token.deleted',
      'token.rotated',
      'token.updated',
      'token.created',
    ]);
    const [deleted, rotation, updated, creation] = events;
    expect(creation).toMatchObject({
      serviceAccountId: 'sa-etl',
      tokenName: 'audited',
      actor: { userId: 'alice', authenticatedBy: 'JWT' },
      userAgent: 'terraform/1.9',
      changes: {
        status: { before: null, after: 'ACTIVE' },
        maxRps: { before: null, after: 5 },
        expiresAt: { before: null, after: null },
      },
    });
    expect(creation.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(creation.sourceIp).toMatch(/127\.0\.0\.1/);
    expect(updated).toMatchObject({
      actor: { userId: 'root' },
      changes: { status: { before: 'ACTIVE', after: 'SUSPENDED' }, maxRps: { before: 5, after: 7 } },
    });
    expect(Object.keys(updated.changes).sort()).toStrictEqual(['maxRps', 'status']);
    expect(rotation.changes.previousSecretValidUntil.after).toBe(rotated.body.previousSecret.validUntil);
    expect(deleted).toMatchObject({ changes: { status: { before: 'SUSPENDED', after: null } } });
    // Ids sort as the events happened.
    expect(
      [...events]
        .map((event: { id: string }) => event.id)
        .sort()
        .reverse(),
    ).toStrictEqual(events.map((event: { id: string }) => event.id));
  });

  it('names the acting token and its secret when a token acts, and the import when an import deletes', async () => {
    const rotator = adminTokens('sa-rotator');
    const own = (await api.call('POST', rotator, { as: 'root', body: { name: 'self-managing' } })).body.token;
    await api.call('POST', rotator, { token: own, body: { name: 'made-by-token' } });
    const byToken = (
      await api.call('GET', `/api/v1/auth/service-accounts/sa-rotator/token-events?tokenName=made-by-token`, {
        as: 'root',
      })
    ).body.events;
    expect(byToken[0].actor).toStrictEqual({
      userId: 'sa-rotator',
      authenticatedBy: 'ACCESS_TOKEN',
      tokenName: 'self-managing',
      secret: 'current',
    });

    const directory = exampleDirectory();
    const { incarnation } = (await api.service.runtime.directory.getPrincipal('sa-rotator'))!;
    await importDirectory(
      importDeps(api.service.runtime),
      { ...directory, users: directory.users.filter((user) => user.id !== 'sa-rotator') },
      { replace: true },
    );
    // In the trail of the account the import removed.
    const query = { incarnation, limit: 10, type: 'token.deleted' as const };
    const trail = await api.service.runtime.events.list('sa-rotator', query);
    const swept = trail.events;
    expect(swept.map((event) => event.tokenName).sort()).toStrictEqual(['made-by-token', 'self-managing']);
    expect(swept[0]!.actor).toStrictEqual({ userId: 'directory-import', authenticatedBy: 'SYSTEM' });
    await importDirectory(importDeps(api.service.runtime), directory, { replace: true });
  });

  it('never holds a secret, its hash or a key value', async () => {
    const items = await api.scanTable();
    const stored = JSON.stringify(items.filter((item) => String(item.pk).startsWith('EVENTS#')));
    const parsed = parseToken(secret)!;
    for (const forbidden of [secret, parsed.secret, hashSecret(parsed.secret)])
      expect(stored.includes(forbidden)).toBe(false);
    for (const item of items) if (typeof item.usageKey === 'string') expect(stored.includes(item.usageKey)).toBe(false);
  });
});

describe('no change without its event, no event without its change', () => {
  it('leaves the token as it was when its event cannot be written', async () => {
    await api.call('POST', FIN, { as: 'alice', body: { name: 'atomic' } });
    // An event already holding the id the next change will use: its Put fails, and with it the change.
    const taken = eventId(new Date());
    const { incarnation } = (await api.service.runtime.directory.getPrincipal('sa-etl'))!;
    const inTheWay = { ...keys.event('sa-etl', taken, incarnation), note: 'in the way' };
    await api.documentClient.send(new PutCommand({ TableName: api.tableName, Item: inTheWay }));
    forcedEventId = taken;
    const before = (await api.call('GET', FIN, { as: 'alice' })).body.tokens.find(
      (token: { name: string }) => token.name === 'atomic',
    );
    try {
      const refused = await api.call('PATCH', `${FIN}/atomic`, { as: 'alice', body: { status: 'SUSPENDED' } });
      expect({ status: refused.status, code: refused.body.code }).toStrictEqual({
        status: 409,
        code: 'CONCURRENT_UPDATE',
      });
      const made = await api.call('POST', FIN, { as: 'alice', body: { name: 'never-made' } });
      expect({ status: made.status, code: made.body.code }).toStrictEqual({ status: 409, code: 'CONCURRENT_UPDATE' });
    } finally {
      forcedEventId = undefined;
    }
    const after = (await api.call('GET', FIN, { as: 'alice' })).body.tokens.find(
      (token: { name: string }) => token.name === 'atomic',
    );
    expect(after).toStrictEqual(before);
    expect((await list('?tokenName=atomic&type=token.updated')).events).toStrictEqual([]);
    expect(
      (await api.call('GET', FIN, { as: 'alice' })).body.tokens.some(
        (token: { name: string }) => token.name === 'never-made',
      ),
    ).toBe(false);
  });
});

describe('listing', () => {
  it('pages newest first with a cursor, filters by token and type, and keeps a deleted token’s events', async () => {
    for (let i = 0; i < 7; i++) await api.call('POST', FIN, { as: 'alice', body: { name: `paged-${i}` } });
    const seen: string[] = [];
    let nextToken: string | null = null;
    do {
      const page: { events: { id: string; tokenName: string }[]; nextToken: string | null } = await list(
        `?type=token.created&limit=3${nextToken ? `&nextToken=${nextToken}` : ''}`,
      );
      expect(page.events.length).toBeLessThanOrEqual(3);
      seen.push(...page.events.map((event) => event.tokenName).filter((name) => name.startsWith('paged-')));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(seen).toStrictEqual(['paged-6', 'paged-5', 'paged-4', 'paged-3', 'paged-2', 'paged-1', 'paged-0']);
    expect((await list('?tokenName=audited')).events).toHaveLength(4);
    const bad = await api.call('GET', `${EVENTS}?type=token.exploded&limit=0`, { as: 'alice' });
    expect(bad.body.errors.map((error: { field: string }) => error.field).sort()).toStrictEqual(['limit', 'type']);
  });

  it('is authorized as listing tokens is: a caller outside the account’s groups is refused', async () => {
    const refused = await api.call('GET', '/api/v1/domains/finance/auth/service-accounts/sa-reporting/token-events', {
      as: 'alice',
    });
    expect({ status: refused.status, code: refused.body.code }).toStrictEqual({ status: 403, code: 'NOT_SAME_GROUP' });
  });
});

describe('subscribers', () => {
  it('receive every event in the local events file, forwarded from the table’s stream, once each', async () => {
    // An event whose changes are empty (a change to nothing) passes as well.
    expect((await api.call('POST', FIN, { as: 'alice', body: { name: 'unchanged' } })).status).toBe(201);
    expect((await api.call('PATCH', `${FIN}/unchanged`, { as: 'alice', body: { status: 'ACTIVE' } })).status).toBe(200);
    await api.service.events!.drain();
    const lines = readFileSync(eventsFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; type: string; tokenName: string });
    const stored = (await api.scanTable()).filter(
      (item) => String(item.pk).startsWith('EVENTS#') && typeof item.type === 'string',
    );
    expect(new Set(lines.map((event) => event.id)).size).toBe(lines.length);
    expect(lines.map((event) => event.id).sort()).toStrictEqual(stored.map((item) => String(item.id)).sort());
    expect(lines.filter((event) => event.tokenName === 'audited').map((event) => event.type)).toStrictEqual([
      'token.created',
      'token.updated',
      'token.rotated',
      'token.deleted',
    ]);
    expect(
      lines
        .filter((event) => event.tokenName === 'unchanged')
        .map((event) => [event.type, (event as { changes?: unknown }).changes]),
    ).toStrictEqual([
      ['token.created', expect.anything()],
      ['token.updated', {}],
    ]);
  });
});
