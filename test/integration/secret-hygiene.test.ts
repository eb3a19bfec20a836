import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { parseToken } from '../../shared/kernel/token-format.js';
import { domainTokens, startTestService, type TestService } from '../support/service.js';

let api: TestService;
const output: string[] = [];
const restore: (() => void)[] = [];
const github = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
let githubKeys: Server;

beforeAll(async () => {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => (stream.write = write));
  }
  // Log everything this file does, so that a secret logged at any level would be caught.
  githubKeys = createServer((_request, response) =>
    response.end(
      JSON.stringify({
        public_keys: [{ key_identifier: 'k', key: github.publicKey.export({ type: 'spki', format: 'pem' }) }],
      }),
    ),
  ).listen(0, '127.0.0.1');
  await new Promise((resolve) => githubKeys.once('listening', resolve));
  api = await startTestService({
    env: {
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      GITHUB_SECRET_SCANNING_KEYS_URL: `http://127.0.0.1:${(githubKeys.address() as { port: number }).port}/`,
    },
  });
});
afterAll(async () => {
  restore.forEach((undo) => undo());
  await api?.stop();
  githubKeys?.close();
});

describe('secret hygiene', () => {
  it('shows the secret in the create response only: never stored, logged or returned again', async () => {
    const base = domainTokens('finance', 'sa-etl');
    const created = await api.call('POST', base, { as: 'alice', body: { name: 'hygiene', maxRps: 3 } });
    expect(created.status).toBe(201);
    const token: string = created.body.token;
    const { secret } = parseToken(token)!;

    const responses = [
      await api.call('GET', '/api/v1/auth/whoami', { token }),
      await api.call('GET', '/api/v1/auth/whoami', { headers: { Authorization: `Bearer ${token}` } }),
      await api.call('GET', base, { as: 'alice' }),
      await api.call('PATCH', `${base}/hygiene`, { as: 'alice', body: { status: 'SUSPENDED' } }),
      await api.call('GET', '/api/v1/auth/whoami', { token }),
      await api.call('POST', base, { as: 'alice', body: { name: 'hygiene' } }),
      await api.call('PATCH', `${base}/hygiene`, { as: 'alice', body: { status: 'ACTIVE', maxRps: 9 } }),
      await api.call('GET', base, { token, headers: { Authorization: `Bearer ${token}` } }),
    ];
    const items = await api.scanTable();
    await api.call('DELETE', `${base}/hygiene`, { as: 'alice' });
    responses.push(await api.call('GET', '/api/v1/auth/whoami', { token }));

    // 'logs were captured'
    expect(output.length > 0).toBeTruthy();
    // 'the handlers logged'
    expect(output.some((line) => line.includes('"level":"DEBUG"') || line.includes('"level":"INFO"'))).toBeTruthy();
    for (const text of [...output, ...responses.map((r) => r.text), JSON.stringify(items)]) {
      // `secret leaked in: ${text.slice(0, 200)}`
      expect(!text.includes(secret)).toBeTruthy();
      // `token leaked in: ${text.slice(0, 200)}`
      expect(!text.includes(token)).toBeTruthy();
    }
    const credential = items.find((item) => String(item.pk).startsWith('CRED#'));
    // 'only a hash is stored'
    expect(credential && typeof credential.secretHash === 'string').toBeTruthy();
  });

  it('never logs, stores or answers the strings a secret scanning report holds', async () => {
    const base = domainTokens('finance', 'sa-etl');
    const created = await api.call('POST', base, { as: 'alice', body: { name: 'reported' } });
    const token: string = created.body.token;
    const { secret } = parseToken(token)!;
    const lookalike = 'iomsat_this-only-looks-like-a-token';
    const body = JSON.stringify(
      [token, lookalike].map((value) => ({
        token: value,
        type: 'iomsat',
        url: 'https://github.com/o/r',
        source: 'content',
      })),
    );
    const headers = {
      'Content-Type': 'application/json',
      'Github-Public-Key-Identifier': 'k',
      'Github-Public-Key-Signature': sign('sha256', Buffer.from(body), {
        key: github.privateKey,
        dsaEncoding: 'der',
      }).toString('base64'),
    };
    const from = output.length;
    const replies = [
      await api.call('POST', '/api/v1/secret-scanning/github', { rawBody: body, headers }),
      await api.call('POST', '/api/v1/secret-scanning/github', {
        rawBody: body,
        headers: { ...headers, 'Github-Public-Key-Signature': 'AAAA' },
      }),
      await api.call('POST', '/api/v1/secret-scanning/github', {
        rawBody: '[{"token":',
        headers: {
          ...headers,
          'Github-Public-Key-Signature': sign('sha256', Buffer.from('[{"token":'), {
            key: github.privateKey,
            dsaEncoding: 'der',
          }).toString('base64'),
        },
      }),
    ];
    expect(replies.map((reply) => reply.status)).toStrictEqual([200, 401, 400]);
    expect(output.slice(from).some((line) => line.includes('Secret scanning report handled'))).toBe(true);
    for (const text of [...output.slice(from), ...replies.map((r) => r.text), JSON.stringify(await api.scanTable())]) {
      expect(text.includes(secret)).toBe(false);
      expect(text.includes(lookalike)).toBe(false);
    }
  });
});
