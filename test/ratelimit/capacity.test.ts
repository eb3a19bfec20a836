import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { shardCounts } from '../../shared/dynamodb/rate-limit-capacity.js';
import { domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * The deployment's ceiling of tokens and policies with a `maxRps` (each needs an API
 * Gateway key; an account has 10,000 per Region), over HTTP: a create or a PATCH that
 * would pass it is refused with its own 409 and writes nothing; the count never passes
 * the ceiling however many writes race, and a place comes back with the limit or the token.
 */

const CEILING = 8;
const FIN = domainTokens('finance', 'sa-etl');
const POLICIES = '/api/v1/domains/finance/auth/service-accounts/sa-etl/federation-policies';
let api: TestService;

beforeAll(async () => {
  api = await startTestService({ env: { RATE_LIMITED_MAX: String(CEILING), TOKEN_LIMIT_PER_ACCOUNT: '200' } });
});
afterAll(async () => api?.stop());

const create = (name: string, maxRps: number | null) => api.call('POST', FIN, { as: 'alice', body: { name, maxRps } });
const counted = async () =>
  (await shardCounts({ client: api.documentClient, tableName: api.tableName })).reduce(
    (sum, { count }) => sum + count,
    0,
  );
async function clear() {
  const { body } = await api.call('GET', `${FIN}?limit=100`, { as: 'alice' });
  for (const token of body.tokens) await api.call('DELETE', `${FIN}/${token.name}`, { as: 'alice' });
  const policies = await api.call('GET', POLICIES, { as: 'alice' });
  for (const policy of policies.body.policies ?? [])
    await api.call('DELETE', `${POLICIES}/${policy.policyId}`, { as: 'alice' });
}
beforeEach(clear);

function expectCapacityProblem(reply: { status: number; body: any; headers: Headers }) {
  expect(reply.status).toBe(409);
  expect(reply.body).toMatchObject({ code: 'RATE_LIMIT_CAPACITY_REACHED', status: 409 });
  // It says what to do.
  expect(reply.body.detail).toMatch(/maxRps null .*delete a limited token.*raise the ceiling/s);
}

describe('the ceiling of rate-limited tokens and policies', () => {
  it('takes every place, whichever shard each create lands in, then refuses the next with 409 and writes nothing', async () => {
    for (let i = 0; i < CEILING; i++) expect((await create(`limited-${i}`, 5)).status).toBe(201);
    expect(await counted()).toBe(CEILING);
    const before = await api.scanTable();
    expectCapacityProblem(await create('one-too-many', 5));
    // Nothing half-written: no token, no credential, no event, no count.
    expect(await api.scanTable()).toStrictEqual(before);
    // A token without a limit needs no key: still created.
    expect((await create('unlimited', null)).status).toBe(201);
  });

  it('refuses a PATCH that sets a limit at the ceiling, and gives a place back when a limit is removed or a token deleted', async () => {
    for (let i = 0; i < CEILING; i++) expect((await create(`limited-${i}`, 5)).status).toBe(201);
    expect((await create('unlimited', null)).status).toBe(201);
    const refused = await api.call('PATCH', `${FIN}/unlimited`, { as: 'alice', body: { maxRps: 3 } });
    expectCapacityProblem(refused);
    const listed = (await api.call('GET', `${FIN}?limit=100`, { as: 'alice' })).body.tokens;
    expect(listed.find((token: { name: string }) => token.name === 'unlimited').maxRps).toBe(null);
    // Raising a limit it already has takes no place.
    expect((await api.call('PATCH', `${FIN}/limited-0`, { as: 'alice', body: { maxRps: 500 } })).status).toBe(200);
    expect((await api.call('PATCH', `${FIN}/limited-0`, { as: 'alice', body: { maxRps: null } })).status).toBe(200);
    expect(await counted()).toBe(CEILING - 1);
    expect((await api.call('PATCH', `${FIN}/unlimited`, { as: 'alice', body: { maxRps: 3 } })).status).toBe(200);
    expect(await counted()).toBe(CEILING);
    expect((await api.call('DELETE', `${FIN}/limited-1`, { as: 'alice' })).status).toBe(204);
    expect(await counted()).toBe(CEILING - 1);
    expect((await create('after-delete', 7)).status).toBe(201);
  });

  it('counts federation policies with a limit (their tokens share one key) in the same ceiling', async () => {
    for (let i = 0; i < CEILING - 1; i++) expect((await create(`limited-${i}`, 5)).status).toBe(201);
    const policy = (name: string) => ({
      name,
      issuer: 'https://token.actions.githubusercontent.com',
      subject: 'repo:org/app:ref:refs/heads/main',
      maxRps: 10,
    });
    const made = await api.call('POST', POLICIES, { as: 'alice', body: policy('deploy') });
    expect(made.status).toBe(201);
    expectCapacityProblem(await api.call('POST', POLICIES, { as: 'alice', body: policy('deploy-2') }));
    expect((await api.call('DELETE', `${POLICIES}/${made.body.policyId}`, { as: 'alice' })).status).toBe(204);
    expect(await counted()).toBe(CEILING - 1);
  });

  it('never passes the ceiling however many limited creates race: exactly the free places are taken', async () => {
    expect((await create('first', 5)).status).toBe(201);
    const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => create(`racer-${i}`, 5)));
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(CEILING - 1);
    for (const reply of replies.filter((r) => r.status !== 201))
      expect(reply.body.code).toMatch(/RATE_LIMIT_CAPACITY_REACHED|CONCURRENT_UPDATE/);
    expect(await counted()).toBe(CEILING);
    const limited = (await api.scanTable()).filter(
      (item) => String(item.sk).startsWith('TOKEN#') && item.maxRps !== null,
    );
    expect(limited).toHaveLength(CEILING);
  });
});
