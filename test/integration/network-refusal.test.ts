import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { routes } from '../../infra/routes.js';
import { adminTokens, startTestService, type TestService } from '../support/service.js';

/**
 * A token used outside its allowed networks, over real HTTP through the local gateway. The
 * authorizer allows it with the token's own usage key and only the refusal in its context
 * (an authorizer's Deny is answered 401, and this is a 403): so the call is throttled at
 * the token's maxRps, and every function refuses it with 403 SOURCE_IP_NOT_ALLOWED before
 * doing anything, which is checked here on every authenticated route of the route table.
 */
let api: TestService;
/** The functions invoked, in order: a refusal must come from each route's own function. */
const invoked: string[] = [];
const ROTATOR = adminTokens('sa-rotator');
const WHOAMI = '/api/v1/auth/whoami';
const REFUSAL = {
  type: 'urn:service-account-tokens:problem:source-ip-not-allowed',
  title: 'Source address not allowed',
  status: 403,
  detail: "This token may not be used from 127.0.0.1: the address is outside the token's allowed networks.",
  code: 'SOURCE_IP_NOT_ALLOWED',
};

beforeAll(async () => {
  api = await startTestService({
    around: (functionId, invoke) => {
      invoked.push(functionId);
      return invoke();
    },
  });
});
afterAll(async () => api?.stop());

async function made(body: Record<string, unknown>): Promise<string> {
  const reply = await api.call('POST', ROTATOR, { as: 'root', body });
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status: 201 });
  return (reply.body as { token: string }).token;
}

describe('a token used outside its allowed networks', () => {
  it('is throttled at its maxRps like any call of the token, then refused 403 by the function', async () => {
    const token = await made({ name: 'far-and-fast', maxRps: 1, allowedCidrs: ['10.0.0.0/8'] });
    const replies = [];
    for (let call = 0; call < 5; call++) replies.push(await api.call('GET', WHOAMI, { token }));
    const statuses = replies.map((reply) => reply.status);
    expect(statuses).toContain(429);
    expect(statuses.filter((status) => status !== 429).every((status) => status === 403)).toBe(true);
    expect(replies.find((reply) => reply.status === 403)?.body).toStrictEqual(REFUSAL);
    expect(replies.find((reply) => reply.status === 429)?.body).toMatchObject({ code: 'THROTTLED' });
  });

  it('is refused 403 SOURCE_IP_NOT_ALLOWED on every authenticated route, and nothing is written', async () => {
    // An admin's token that may do everything from loopback, and its twin that may not call from here.
    const near = await made({ name: 'near' });
    const far = await made({ name: 'far', allowedCidrs: ['10.0.0.0/8'] });
    const created = await api.call('POST', ROTATOR, { token: near, body: { name: 'made-from-loopback' } });
    expect(created.status).toBe(201);
    // The first refusal is recorded (token.refused_network, at most once a minute); after
    // it, the table must not change at all.
    expect((await api.call('GET', WHOAMI, { token: far })).body).toStrictEqual(REFUSAL);
    const before = await api.scanTable();
    invoked.length = 0;
    const values: Record<string, string> = {
      domain: 'finance',
      serviceAccountId: 'sa-rotator',
      name: 'near',
      policyId: 'fp_0000000000000000',
      userId: 'alice',
    };
    const authenticated = routes.filter((route) => route.auth === 'authenticated');
    expect(authenticated.length).toBeGreaterThan(20);
    const answers = [];
    for (const route of authenticated) {
      const path = route.path.replaceAll(/\{(\w+)\}/g, (_, name: string) => values[name] ?? name);
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : { name: 'never-made' };
      const reply = await api.call(route.method, path, { token: far, ...(body ? { body } : {}) });
      answers.push({ route: route.id, status: reply.status, body: reply.body });
    }
    expect(answers).toStrictEqual(authenticated.map((route) => ({ route: route.id, status: 403, body: REFUSAL })));
    // Let through by the authorizer, refused by each route's own function.
    expect(invoked).toStrictEqual(authenticated.flatMap((route) => ['authorizer', route.id]));
    expect(await api.scanTable()).toStrictEqual(before);
  });
});
