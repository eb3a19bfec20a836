import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { assembleToken, mintToken, TOKEN_PREFIX } from '../../shared/kernel/token-format.js';
import { domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * GitHub's secret scanning partner endpoint over HTTP, with a key pair of the test's own,
 * published by a local stand-in for GitHub's key list: valid, tampered and unknown-key
 * signatures; tokens of ours (live, suspended, deleted, in a grace period, expired) and
 * strings that only look like ours; a thousand-match body; and nothing changed, nothing
 * read, on a bad signature.
 */

const PATH = '/api/v1/secret-scanning/github';
const FIN = domainTokens('finance', 'sa-etl');
const EVENTS = FIN.replace(/\/tokens$/, '/token-events');
const KEY_ID = 'a'.repeat(64);
const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const github = pair();
const stranger = pair();

let now = Date.parse('2027-02-01T10:00:00.000Z');
let api: TestService;
let keyServer: Server;
let keyFetches = 0;

beforeAll(async () => {
  keyServer = createServer((_request, response) => {
    keyFetches += 1;
    response.setHeader('Content-Type', 'application/json');
    response.end(
      JSON.stringify({
        public_keys: [
          { key_identifier: KEY_ID, key: github.publicKey.export({ type: 'spki', format: 'pem' }), is_current: true },
        ],
      }),
    );
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => keyServer.once('listening', resolve));
  const { port } = keyServer.address() as { port: number };
  api = await startTestService({
    throttle: false,
    env: { GITHUB_SECRET_SCANNING_KEYS_URL: `http://127.0.0.1:${port}/meta/public_keys/secret_scanning` },
    parts: () => ({ clock: () => new Date(now) }),
  });
});
afterAll(async () => {
  await api?.stop();
  keyServer?.close();
});

const signed = (body: string, key: KeyObject = github.privateKey) =>
  sign('sha256', Buffer.from(body), { key, dsaEncoding: 'der' }).toString('base64');

function report(
  body: string,
  headers: Record<string, string> = {
    'Github-Public-Key-Identifier': KEY_ID,
    'Github-Public-Key-Signature': signed(body),
  },
) {
  return api.call('POST', PATH, { rawBody: body, headers: { 'Content-Type': 'application/json', ...headers } });
}
const matches = (...tokens: string[]) =>
  JSON.stringify(
    tokens.map((token) => ({
      token,
      type: 'iomete_service_account_token',
      url: 'https://github.com/octo/repo/blob/abc/.env',
      source: 'content',
    })),
  );
const hash = (token: string) => createHash('sha256').update(token).digest('hex');

async function created(name: string, body: Record<string, unknown> = {}): Promise<string> {
  const reply = await api.call('POST', FIN, { as: 'alice', body: { name, ...body } });
  expect(reply.status).toBe(201);
  return reply.body.token;
}
const whoami = async (token: string) => (await api.call('GET', '/api/v1/auth/whoami', { token })).status;
const listed = async (name: string) =>
  (await api.call('GET', `${FIN}?limit=100`, { as: 'alice' })).body.tokens.find(
    (t: { name: string }) => t.name === name,
  );
const status = async (name: string) => (await listed(name))?.status;
const exposures = async (name: string) =>
  (await api.call('GET', `${EVENTS}?tokenName=${name}&type=token.exposed`, { as: 'alice' })).body.events as {
    changes: unknown;
    details: Record<string, unknown>;
    actor: unknown;
  }[];

describe('reports with a valid signature', () => {
  it('suspends each live token reported, records where it was found, and labels every match', async () => {
    const live = await created('leaked');
    const suspended = await created('already-suspended');
    expect(
      (await api.call('PATCH', `${FIN}/already-suspended`, { as: 'alice', body: { status: 'SUSPENDED' } })).status,
    ).toBe(200);
    const deleted = await created('deleted');
    expect((await api.call('DELETE', `${FIN}/deleted`, { as: 'alice' })).status).toBe(204);
    const expired = await created('expired', { expiresAt: new Date(now + 60_000).toISOString() });
    const unknown = mintToken().token;
    const lookalike = `${live.slice(0, -1)}${live.endsWith('A') ? 'B' : 'A'}`;
    now += 120_000;

    const reply = await report(matches(live, suspended, deleted, expired, unknown, lookalike, 'not-a-token', live));
    expect(reply.status).toBe(200);
    expect(reply.body).toStrictEqual([
      { token_hash: hash(live), token_type: 'iomete_service_account_token', label: 'true_positive' },
      { token_hash: hash(suspended), token_type: 'iomete_service_account_token', label: 'true_positive' },
      ...[deleted, expired, unknown, lookalike, 'not-a-token'].map((token) => ({
        token_hash: hash(token),
        token_type: 'iomete_service_account_token',
        label: 'false_positive',
      })),
      { token_hash: hash(live), token_type: 'iomete_service_account_token', label: 'true_positive' },
    ]);
    // Never the reported strings themselves.
    expect(reply.text).not.toContain(TOKEN_PREFIX);

    expect(await whoami(live)).toBe(401);
    expect(await status('leaked')).toBe('SUSPENDED');
    const [event, ...more] = await exposures('leaked');
    expect(more).toStrictEqual([]);
    expect(event).toMatchObject({
      actor: { userId: 'github-secret-scanning', authenticatedBy: 'SYSTEM' },
      changes: { status: { before: 'ACTIVE', after: 'SUSPENDED' } },
      details: {
        reporter: 'github',
        url: 'https://github.com/octo/repo/blob/abc/.env',
        source: 'content',
        secret: 'current',
      },
    });
    expect(JSON.stringify(event)).not.toContain(live.slice(TOKEN_PREFIX.length + 16));
    const leakedAt = new Date(now).toISOString();
    expect((await listed('leaked')).suspension).toStrictEqual({
      reason: 'SECRET_SCANNING',
      at: leakedAt,
      by: null,
      byToken: null,
      unusedDays: null,
    });
    // Already suspended: stays so, the exposure is on record, and the leak is now why.
    expect(await status('already-suspended')).toBe('SUSPENDED');
    expect((await listed('already-suspended')).suspension).toMatchObject({ reason: 'SECRET_SCANNING', by: null });
    expect((await exposures('already-suspended'))[0]).toMatchObject({ changes: {}, details: { secret: 'current' } });
  });

  it('counts a rotated token’s old secret while its grace period runs, and not after', async () => {
    const old = await created('rotating');
    expect(
      (await api.call('POST', `${FIN}/rotating/rotate`, { as: 'alice', body: { gracePeriodSeconds: 3600 } })).status,
    ).toBe(200);
    const stale = await created('rotated-long-ago');
    const fresh = (
      await api.call('POST', `${FIN}/rotated-long-ago/rotate`, { as: 'alice', body: { gracePeriodSeconds: 0 } })
    ).body.token as string;
    const reply = await report(matches(old, stale));
    expect(reply.body.map((feedback: { label: string }) => feedback.label)).toStrictEqual([
      'true_positive',
      'false_positive',
    ]);
    expect(await status('rotating')).toBe('SUSPENDED');
    expect((await exposures('rotating'))[0]!.details.secret).toBe('previous');
    expect(await status('rotated-long-ago')).toBe('ACTIVE');
    expect(await whoami(fresh)).toBe(200);
  });

  it('lets an owner undo a false positive by reactivating the token, and the token cannot do it itself', async () => {
    const token = await created('false-alarm');
    expect((await report(matches(token))).status).toBe(200);
    expect((await api.call('PATCH', `${FIN}/false-alarm`, { token, body: { status: 'ACTIVE' } })).status).toBe(401);
    expect(await status('false-alarm')).toBe('SUSPENDED');
    expect((await api.call('PATCH', `${FIN}/false-alarm`, { as: 'alice', body: { status: 'ACTIVE' } })).status).toBe(
      200,
    );
    expect(await whoami(token)).toBe(200);
  });

  it('takes a thousand matches in one report, and refuses more', async () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0 ? mintToken().token : assembleToken('0'.repeat(16), String(i).padStart(43, 'x')),
    );
    const reply = await report(matches(...many));
    expect(reply.status).toBe(200);
    expect(reply.body).toHaveLength(1000);
    expect(reply.body.every((feedback: { label: string }) => feedback.label === 'false_positive')).toBe(true);
    const over = await report(matches(...many, 'one-more'));
    expect(over.status).toBe(400);
    expect(over.body.code).toBe('VALIDATION_FAILED');
  });

  it('answers 400 to a body that is not the protocol’s, once the signature holds', async () => {
    for (const body of ['not json', '{"token":"x"}', '[{"type":"t"}]']) {
      const reply = await report(body);
      expect({ body, status: reply.status, code: reply.body.code }).toStrictEqual({
        body,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
  });
});

describe('reports without a valid signature', () => {
  it('are refused with 401, change nothing and read no token, whatever is wrong', async () => {
    const token = await created('untouched');
    const other = await created('swapped-in');
    const body = matches(token);
    const before = await api.scanTable();
    const cases: Record<string, [string, Record<string, string>]> = {
      'no headers': [body, {}],
      'no signature': [body, { 'Github-Public-Key-Identifier': KEY_ID }],
      'no key id': [body, { 'Github-Public-Key-Signature': signed(body) }],
      'signature of another body': [
        body,
        { 'Github-Public-Key-Identifier': KEY_ID, 'Github-Public-Key-Signature': signed(`${body} `) },
      ],
      'tampered: the signed body with its match swapped': [
        matches(other),
        { 'Github-Public-Key-Identifier': KEY_ID, 'Github-Public-Key-Signature': signed(body) },
      ],
      'signed by another key': [
        body,
        { 'Github-Public-Key-Identifier': KEY_ID, 'Github-Public-Key-Signature': signed(body, stranger.privateKey) },
      ],
      'unknown key id': [
        body,
        { 'Github-Public-Key-Identifier': 'b'.repeat(64), 'Github-Public-Key-Signature': signed(body) },
      ],
      'signature not base64': [body, { 'Github-Public-Key-Identifier': KEY_ID, 'Github-Public-Key-Signature': '!!!' }],
      'signature garbage': [
        body,
        {
          'Github-Public-Key-Identifier': KEY_ID,
          'Github-Public-Key-Signature': Buffer.from('garbage').toString('base64'),
        },
      ],
      'bad JSON, bad signature': [
        'not json',
        { 'Github-Public-Key-Identifier': KEY_ID, 'Github-Public-Key-Signature': signed(body) },
      ],
    };
    for (const [name, [sent, headers]] of Object.entries(cases)) {
      const reply = await report(sent, headers);
      expect({ name, status: reply.status, code: reply.body.code }).toStrictEqual({
        name,
        status: 401,
        code: 'UNAUTHORIZED',
      });
    }
    expect(await api.scanTable()).toStrictEqual(before);
    expect(await whoami(token)).toBe(200);
    expect(await whoami(other)).toBe(200);
  });

  it('answer every caller alike: a credential (JWT, admin, token) neither opens the route nor changes an answer', async () => {
    const token = await created('caller-token');
    const body = matches('iomsat_nothing');
    const identities = [{}, { as: 'alice' }, { as: 'root' }, { as: 'bob' }, { token }];
    const answers: unknown[][] = [];
    for (const identity of identities) {
      const unsigned = await api.call('POST', PATH, {
        ...identity,
        rawBody: body,
        headers: { 'Content-Type': 'application/json' },
      });
      const valid = await api.call('POST', PATH, {
        ...identity,
        rawBody: body,
        headers: {
          'Content-Type': 'application/json',
          'Github-Public-Key-Identifier': KEY_ID,
          'Github-Public-Key-Signature': signed(body),
        },
      });
      answers.push([unsigned.status, unsigned.text, valid.status, valid.text]);
    }
    expect(answers.every((answer) => JSON.stringify(answer) === JSON.stringify(answers[0]))).toBe(true);
    expect(answers[0]!.slice(0, 1).concat(answers[0]!.slice(2, 3))).toStrictEqual([401, 200]);
  });

  it('fetches GitHub’s keys again for an unknown key id, but not more than once a minute', async () => {
    const body = matches('x');
    const fetches = keyFetches;
    for (let i = 0; i < 5; i++)
      await report(body, {
        'Github-Public-Key-Identifier': `unknown-${i}`,
        'Github-Public-Key-Signature': signed(body),
      });
    expect(keyFetches - fetches).toBeLessThanOrEqual(1);
  });

  it('are throttled by the route’s own limit before anything else, as the stage does in AWS', async () => {
    const throttled = await startTestService({ env: { GITHUB_SECRET_SCANNING_KEYS_URL: 'http://127.0.0.1:9/' } });
    try {
      const replies = await Promise.all(
        Array.from({ length: 40 }, () =>
          throttled.call('POST', PATH, { rawBody: '[]', headers: { 'Content-Type': 'application/json' } }),
        ),
      );
      const statuses = replies.map((reply) => reply.status);
      expect(statuses.filter((code) => code === 429).length).toBeGreaterThan(0);
      expect(statuses.filter((code) => code === 401).length).toBeGreaterThan(0);
      expect(statuses.every((code) => code === 429 || code === 401)).toBe(true);
    } finally {
      await throttled.stop();
    }
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const body = `[${'"x",'.repeat(300_000)}"x"]`;
    const reply = await report(body);
    expect(reply.status).toBe(413);
  });
});
