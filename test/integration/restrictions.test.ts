import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { createAuthorizer } from '../../shared/auth/authorizer.js';
import { ConcurrentUpdateError } from '../../shared/kernel/errors.js';
import { adminTokens, domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * Token restrictions over real HTTP, from the loopback address: what a token may do (its
 * scopes) and where from (its allowed networks), how both are written, shown and recorded,
 * and that the authorizer refuses a call from outside with its own problem.
 */
let api: TestService;
const FIN = domainTokens('finance', 'sa-etl');
const ROTATOR = adminTokens('sa-rotator');
const EVENTS = '/api/v1/domains/finance/auth/service-accounts/sa-etl/token-events';
const WHOAMI = '/api/v1/auth/whoami';
const ALL = ['tokens:read', 'tokens:write', 'api'];

beforeAll(async () => {
  api = await startTestService({ throttle: false });
});
afterAll(async () => api?.stop());

async function made(path: string, body: Record<string, unknown>, as = 'root') {
  const reply = await api.call('POST', path, { as, body });
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status: 201 });
  return reply.body as { token: string; scopes: string[]; allowedCidrs: string[] | null };
}

const events = async (tokenName: string, type: string) =>
  (await api.call('GET', `${EVENTS}?tokenName=${tokenName}&type=${type}`, { as: 'alice' })).body.events;

describe('writing restrictions', () => {
  it('gives a token made without them every scope and every network, as before', async () => {
    const plain = await made(FIN, { name: 'plain' }, 'alice');
    expect({ scopes: plain.scopes, allowedCidrs: plain.allowedCidrs }).toStrictEqual({
      scopes: ALL,
      allowedCidrs: null,
    });
    const whoami = await api.call('GET', WHOAMI, { token: plain.token });
    expect(whoami.body).toMatchObject({ scopes: ALL, allowedCidrs: null });
  });

  it('stores scopes in their order without repeats, and networks normalised (a bare address is itself)', async () => {
    const body = {
      name: 'narrow',
      scopes: ['api', 'tokens:read', 'api'],
      allowedCidrs: ['127.0.0.1', '2001:DB8:0:0::/64', '10.0.0.0/8', '10.0.0.0/8'],
    };
    const token = await made(FIN, body, 'alice');
    const shown = { scopes: ['tokens:read', 'api'], allowedCidrs: ['127.0.0.1/32', '2001:db8::/64', '10.0.0.0/8'] };
    expect({ scopes: token.scopes, allowedCidrs: token.allowedCidrs }).toStrictEqual(shown);
    const listed = (await api.call('GET', FIN, { as: 'alice' })).body.tokens.find(
      (t: { name: string }) => t.name === 'narrow',
    );
    expect(listed).toMatchObject(shown);
    expect((await api.call('GET', WHOAMI, { token: token.token })).body).toMatchObject(shown);
    expect((await api.call('GET', '/api/v1/auth/tokens/self', { token: token.token })).body).toMatchObject(shown);
    const [created] = await events('narrow', 'token.created');
    expect(created.changes).toMatchObject({
      scopes: { before: null, after: shown.scopes },
      allowedCidrs: { before: null, after: shown.allowedCidrs },
    });
  });

  it('refuses bad scopes and networks with a field error each, naming the network the prefix describes', async () => {
    const reply = await api.call('POST', FIN, {
      as: 'alice',
      body: { name: 'bad', scopes: ['tokens:admin'], allowedCidrs: ['10.1.2.3/8', 'nowhere', '::ffff:10.0.0.0/104'] },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toStrictEqual([
      { field: 'scopes.0', message: 'must be tokens:read, tokens:write or api' },
      { field: 'allowedCidrs.0', message: "'10.1.2.3/8' has host bits set: the network of that prefix is 10.0.0.0/8" },
      { field: 'allowedCidrs.1', message: "'nowhere' is not an IPv4 or IPv6 network (address/prefix)" },
      {
        field: 'allowedCidrs.2',
        message:
          "'::ffff:10.0.0.0/104' is not an IPv4 or IPv6 network (address/prefix) (write an IPv4-mapped network as IPv4)",
      },
    ]);
    const many = Array.from({ length: 21 }, (_, i) => `10.0.${i}.0/24`);
    for (const [body, field] of [
      [{ allowedCidrs: many }, 'allowedCidrs'],
      [{ allowedCidrs: [] }, 'allowedCidrs'],
      [{ scopes: [] }, 'scopes'],
      [{ allowedCidrs: ['10.0.0.0/33'] }, 'allowedCidrs.0'],
    ] as const) {
      const refused = await api.call('POST', FIN, { as: 'alice', body: { name: 'bad', ...body } });
      expect({ status: refused.status, field: refused.body.errors?.[0]?.field }).toStrictEqual({ status: 400, field });
    }
  });

  it('sets, replaces and removes them with PATCH, and records each change', async () => {
    await made(FIN, { name: 'changing' }, 'alice');
    const path = `${FIN}/changing`;
    const patch = async (body: unknown) => (await api.call('PATCH', path, { as: 'alice', body })).body;
    expect(await patch({ scopes: ['tokens:read'], allowedCidrs: ['192.0.2.0/24'] })).toMatchObject({
      scopes: ['tokens:read'],
      allowedCidrs: ['192.0.2.0/24'],
    });
    expect(await patch({ allowedCidrs: ['198.51.100.7'] })).toMatchObject({ allowedCidrs: ['198.51.100.7/32'] });
    expect(await patch({ allowedCidrs: null, scopes: ALL })).toMatchObject({ scopes: ALL, allowedCidrs: null });
    const updates = (await events('changing', 'token.updated')).map((event: { changes: unknown }) => event.changes);
    expect(updates).toStrictEqual([
      { scopes: { before: ['tokens:read'], after: ALL }, allowedCidrs: { before: ['198.51.100.7/32'], after: null } },
      { allowedCidrs: { before: ['192.0.2.0/24'], after: ['198.51.100.7/32'] } },
      { scopes: { before: ALL, after: ['tokens:read'] }, allowedCidrs: { before: null, after: ['192.0.2.0/24'] } },
    ]);
  });
});

it('writes a change only while the token is as read: a change of its scopes since is a lost race', async () => {
  await made(FIN, { name: 'raced' }, 'alice');
  const store = api.service.runtime.tokens;
  const stale = (await store.get('sa-etl', 'raced'))!;
  // Meanwhile its scopes change: status and limit stay as the stale read has them.
  expect((await api.call('PATCH', `${FIN}/raced`, { as: 'alice', body: { scopes: ['api'] } })).status).toBe(200);
  const change = { status: 'ACTIVE' as const, maxRps: null, onlyIfUnchanged: true };
  await expect(store.update(stale, change, new Date().toISOString())).rejects.toBeInstanceOf(ConcurrentUpdateError);
  expect((await store.get('sa-etl', 'raced'))!.scopes).toStrictEqual(['api']);
});

describe('allowed networks, judged by the authorizer', () => {
  it('lets a token call from inside its networks (loopback, IPv4)', async () => {
    const inside = await made(FIN, { name: 'loopback-only', allowedCidrs: ['127.0.0.0/8', '::1/128'] }, 'alice');
    expect((await api.call('GET', WHOAMI, { token: inside.token })).status).toBe(200);
  });

  it('refuses a call from outside with 403 SOURCE_IP_NOT_ALLOWED naming the address, recorded once a minute', async () => {
    const outside = await made(FIN, { name: 'elsewhere', allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'] }, 'alice');
    for (let call = 0; call < 3; call++) {
      const reply = await api.call('GET', WHOAMI, { token: outside.token });
      expect({ status: reply.status, type: reply.headers.get('content-type'), body: reply.body }).toStrictEqual({
        status: 403,
        type: 'application/problem+json',
        body: {
          type: 'urn:service-account-tokens:problem:source-ip-not-allowed',
          title: 'Source address not allowed',
          status: 403,
          detail: "This token may not be used from 127.0.0.1: the address is outside the token's allowed networks.",
          code: 'SOURCE_IP_NOT_ALLOWED',
        },
      });
    }
    const refusals = await events('elsewhere', 'token.refused_network');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({
      sourceIp: '127.0.0.1',
      actor: { userId: 'sa-etl', authenticatedBy: 'ACCESS_TOKEN', tokenName: 'elsewhere', secret: 'current' },
    });
    // Refused calls are not uses.
    const listed = (await api.call('GET', FIN, { as: 'alice' })).body.tokens.find(
      (t: { name: string }) => t.name === 'elsewhere',
    );
    expect(listed.lastUsedAt).toBeNull();
  });

  it('still answers a bad secret 401, whatever the address: the network is judged on a valid token only', async () => {
    const outside = await made(FIN, { name: 'elsewhere-2', allowedCidrs: ['10.0.0.0/8'] }, 'alice');
    const wrong = `${outside.token.slice(0, -4)}${outside.token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect((await api.call('GET', WHOAMI, { token: wrong })).status).toBe(401);
  });

  it("hands the services behind it the token's scopes and networks, or only the network refusal", async () => {
    const narrow = await made(FIN, { name: 'context', scopes: ['api'], allowedCidrs: ['127.0.0.1/32'] }, 'alice');
    const authorizer = createAuthorizer(api.service.runtime);
    const context = { awsRequestId: 'test', functionName: 'authorizer' } as unknown as Context;
    const event = (sourceIp: string) =>
      ({
        type: 'REQUEST',
        methodArn: 'arn:aws:execute-api:local:000000000000:api/prod/GET/data/orders',
        headers: { 'X-API-Token': narrow.token },
        requestContext: { identity: { sourceIp } },
      }) as unknown as APIGatewayRequestAuthorizerEvent;
    const allowed = await authorizer(event('::ffff:127.0.0.1'), context);
    expect(allowed.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(allowed.context).toMatchObject({ scopes: 'api', allowedCidrs: '127.0.0.1/32' });
    // Allowed with the token's own usage key, so its maxRps holds; nothing of the caller is handed on.
    const refused = await authorizer(event('2001:db8::1'), context);
    expect(refused.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(refused.usageIdentifierKey).toBe(allowed.usageIdentifierKey);
    expect(refused.context).toStrictEqual({ refusedFrom: '2001:db8::1' });
  });
});

describe('scopes, enforced by this service', () => {
  it('lets a tokens:read token read and refuses its writes with INSUFFICIENT_SCOPE naming tokens:write', async () => {
    const reader = await made(ROTATOR, { name: 'reader', scopes: ['tokens:read'] });
    expect((await api.call('GET', ROTATOR, { token: reader.token })).status).toBe(200);
    const refused = await api.call('POST', ROTATOR, { token: reader.token, body: { name: 'minted' } });
    expect({ status: refused.status, body: refused.body }).toMatchObject({
      status: 403,
      body: {
        code: 'INSUFFICIENT_SCOPE',
        requiredScope: 'tokens:write',
        detail: expect.stringContaining('tokens:write'),
      },
    });
    const rotate = await api.call('POST', `${ROTATOR}/reader/rotate`, { token: reader.token });
    expect(rotate.body).toMatchObject({ code: 'INSUFFICIENT_SCOPE', requiredScope: 'tokens:write' });
  });

  it('refuses every read of this service to a token with only api, whoami included', async () => {
    const dataOnly = await made(ROTATOR, { name: 'data-only', scopes: ['api'] });
    for (const path of [
      WHOAMI,
      ROTATOR,
      '/api/v1/auth/users',
      '/api/v1/auth/service-accounts/sa-rotator/token-events',
    ]) {
      const reply = await api.call('GET', path, { token: dataOnly.token });
      expect({ path, status: reply.status, required: reply.body.requiredScope }).toStrictEqual({
        path,
        status: 403,
        required: 'tokens:read',
      });
    }
  });

  it('does not bind people: a JWT caller has no scopes', async () => {
    expect((await api.call('GET', WHOAMI, { as: 'alice' })).body).not.toHaveProperty('scopes');
  });
});
