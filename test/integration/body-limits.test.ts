import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { BODY_LIMIT_BYTES } from '../../shared/http/body-limit.js';
import { FORM, OVER_16K, paddedForm, paddedJson } from '../support/bodies.js';
import { assertContract } from '../support/contract.js';
import { adminTokens, domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * Request bodies are bounded per route (16 KiB, 1 MiB for a secret scanning report) and a
 * longer one is refused with 413 before it is parsed. Locally, over real HTTP: the gateway
 * stops reading it off the socket at the route's limit and answers as the function would
 * in AWS (body-limit-functions.test.ts checks the functions themselves).
 */

const FIN = domainTokens('finance', 'sa-etl');
const FIN_POLICIES = FIN.replace(/\/tokens$/, '/federation-policies');
const PLATFORM_POLICIES = adminTokens('sa-platform').replace(/\/tokens$/, '/federation-policies');
const EXCHANGE = '/api/v1/auth/token';
const JSON_TYPE = { 'Content-Type': 'application/json' };
const FORM_TYPE = { 'Content-Type': FORM };

let api: TestService;
/** The functions the gateway invoked, authorizer included, in order. */
const invoked: string[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  api = await startTestService({
    around: (functionId, invoke) => {
      invoked.push(functionId);
      return invoke();
    },
  });
  api.service.gateway.server.on('connection', (socket: Socket) => sockets.push(socket));
});
afterAll(async () => api?.stop());
afterEach(() => {
  invoked.length = 0;
});

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** How many bytes the server read off this connection. */
  bytesRead: number;
  ms: number;
}

/**
 * Sends a whole request over a socket, the entire body written whatever the server does
 * (unlike fetch, which stops sending once an answer comes), chunked when asked.
 */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  options: { chunked?: boolean } = {},
): Promise<RawReply> {
  const { hostname, port } = new URL(api.url);
  const started = performance.now();
  const before = new Set(sockets);
  const head = [
    `${method} ${path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    options.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  return new Promise((resolveReply, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => {
      socket.write(head);
      if (!options.chunked) return void socket.write(body);
      for (let at = 0; at < body.length; at += 65_536) {
        const part = body.subarray(at, at + 65_536);
        socket.write(`${part.length.toString(16)}\r\n`);
        socket.write(part);
        socket.write('\r\n');
      }
      socket.write('0\r\n\r\n');
    });
    const finish = () => {
      const data = Buffer.concat(chunks);
      const split = data.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no answer (${data.length} bytes)`));
      const lines = data.subarray(0, split).toString('latin1').split('\r\n');
      const field = (line: string) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      };
      const replyHeaders = Object.fromEntries(lines.slice(1).map(field)) as Record<string, string>;
      const server = sockets.find((candidate) => !before.has(candidate));
      const text = data.subarray(split + 4).toString('utf8');
      const status = Number(lines[0]!.split(' ')[1]);
      const body = JSON.parse(text);
      assertContract(method, path, { status, contentType: replyHeaders['content-type'] ?? null, text, body });
      const ms = performance.now() - started;
      resolveReply({ status, headers: replyHeaders, body, bytesRead: server?.bytesRead ?? NaN, ms });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server closes the connection after its answer while the body is still being written.
    socket.on('error', () => socket.destroy());
    socket.on('close', finish);
  });
}

/** The items a policy's creation or deletion writes: policies, their counters, events. */
async function policiesAndEvents() {
  const written = (item: Record<string, unknown>) =>
    String(item.pk).startsWith('EVENTS#') || /^FED(POLICY#|COUNTER$)/.test(String(item.sk));
  return (await api.scanTable()).filter(written);
}

describe('over real HTTP, through the local gateway', () => {
  it('refuses a create-token body one byte over 16 KiB with 413 problem JSON, not invoking the function', async () => {
    const body = paddedJson({ name: 'big' }, BODY_LIMIT_BYTES + 1);
    const reply = await api.call('POST', FIN, { as: 'alice', rawBody: body, headers: JSON_TYPE });
    expect(reply.status).toBe(413);
    expect(reply.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', detail: 'The request body is over 16,384 bytes.' });
    // The authorizer ran (as API Gateway's does before the function), the function never did.
    expect(invoked).toStrictEqual(['authorizer']);
    expect((await api.call('GET', FIN, { as: 'alice' })).body.tokens).toStrictEqual([]);
  });

  it('takes a create-token body of exactly 16 KiB', async () => {
    const body = paddedJson({ name: 'just-fits' }, BODY_LIMIT_BYTES);
    expect(Buffer.byteLength(body)).toBe(BODY_LIMIT_BYTES);
    const reply = await api.call('POST', FIN, { as: 'alice', rawBody: body, headers: JSON_TYPE });
    expect(reply.status).toBe(201);
    await api.call('DELETE', `${FIN}/just-fits`, { as: 'alice' });
  });

  it('counts bytes, not characters: 16,384 characters of which one takes two bytes are over the limit', async () => {
    const body = paddedJson({ name: 'wide', note: 'é' }, BODY_LIMIT_BYTES);
    expect(body.length).toBe(BODY_LIMIT_BYTES);
    const reply = await api.call('POST', FIN, { as: 'alice', rawBody: body, headers: JSON_TYPE });
    expect(reply.status).toBe(413);
  });

  it('answers a caller without a credential 401 first, as API Gateway’s authorizer would', async () => {
    const reply = await rawRequest('POST', FIN, JSON_TYPE, Buffer.from(paddedJson({ name: 'x' }, 100_000)));
    expect(reply.status).toBe(401);
    // The rest of the body is left unread on the connection, so the answer closes it.
    expect(reply.headers.connection).toBe('close');
    expect(reply.bytesRead).toBeLessThan(1024 * 1024);
  });

  it('refuses a 9.6 MB anonymous exchange form at once, in OAuth’s shape, having read little of it', async () => {
    const body = Buffer.from(paddedForm(9_600_000));
    const reply = await rawRequest('POST', EXCHANGE, FORM_TYPE, body);
    expect(reply.status).toBe(413);
    expect(reply.body).toStrictEqual(OVER_16K);
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers.connection).toBe('close');
    // Neither parsed nor buffered: the function never ran, and the gateway stopped reading
    // the socket (the client went on writing all 9.6 MB).
    expect(invoked).toStrictEqual([]);
    expect(reply.bytesRead).toBeLessThan(1024 * 1024);
    expect(reply.ms).toBeLessThan(5_000);
  });

  it('refuses a chunked body over the limit just the same (no Content-Length to go by)', async () => {
    const body = Buffer.from(paddedForm(2_000_000));
    const reply = await rawRequest('POST', EXCHANGE, FORM_TYPE, body, { chunked: true });
    expect(reply.status).toBe(413);
    expect(reply.body.error).toBe('invalid_request');
    expect(reply.bytesRead).toBeLessThan(1024 * 1024);
  });

  it('passes an exchange form of exactly 16 KiB on to the function', async () => {
    const reply = await api.call('POST', EXCHANGE, { rawBody: paddedForm(BODY_LIMIT_BYTES), headers: FORM_TYPE });
    expect(reply.status).toBe(400);
    expect(reply.body.error_description).toBe("parameter 'subject_token' is required");
    expect(invoked).toStrictEqual(['exchange-token']);
  });

  it('refuses federation policy bodies over 16 KiB, on create and delete, whoever calls, writing nothing', async () => {
    const policy = { issuer: 'https://ci.example.test', subject: 'repo:org/app:ref:refs/heads/main' };
    const fits = paddedJson({ name: 'fits', ...policy }, BODY_LIMIT_BYTES);
    const kept = await api.call('POST', FIN_POLICIES, { as: 'alice', rawBody: fits, headers: JSON_TYPE });
    expect(kept.status).toBe(201);
    // A token caller, which may make no policy, is refused for the size first: nothing is parsed.
    const rotator = await api.call('POST', adminTokens('sa-rotator'), { as: 'root', body: { name: 'policy-bodies' } });
    expect(rotator.status).toBe(201);
    const before = await policiesAndEvents();
    invoked.length = 0;
    const over = (name: string) => ({
      rawBody: paddedJson({ name, ...policy }, BODY_LIMIT_BYTES + 1),
      headers: JSON_TYPE,
    });
    const refusals = [
      await api.call('POST', FIN_POLICIES, { as: 'alice', ...over('big') }),
      await api.call('POST', PLATFORM_POLICIES, { as: 'root', ...over('big') }),
      await api.call('POST', PLATFORM_POLICIES, { token: rotator.body.token, ...over('big') }),
      await api.call('DELETE', `${FIN_POLICIES}/${kept.body.policyId}`, { as: 'alice', ...over('x') }),
    ];
    for (const reply of refusals) {
      expect({ status: reply.status, code: reply.body.code }).toStrictEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    }
    expect(invoked).toStrictEqual(refusals.map(() => 'authorizer'));
    // No policy made, none deleted, no event.
    expect(await policiesAndEvents()).toStrictEqual(before);
    expect((await api.call('DELETE', `${FIN_POLICIES}/${kept.body.policyId}`, { as: 'alice' })).status).toBe(204);
  });

  it('keeps the secret scanning route’s own, larger limit: a 20 KB report reaches the function', async () => {
    const match = (i: number) => ({ token: `iomsat_${i}`, type: 'iomsat', url: 'https://github.com/o/r' });
    const matches = Array.from({ length: 400 }, (_, i) => match(i));
    const report = JSON.stringify(matches);
    expect(report.length).toBeGreaterThan(BODY_LIMIT_BYTES);
    const reply = await api.call('POST', '/api/v1/secret-scanning/github', { rawBody: report, headers: JSON_TYPE });
    // Refused for want of a signature, by the function: not for its size.
    expect(reply.status).toBe(401);
    expect(invoked).toStrictEqual(['github-secret-scanning']);
  });
});
