import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * The local gateway's per-token limiter over real HTTP. These are behaviour tests on a
 * shared, noisy machine: every bound allows for the time the requests really took, and
 * the exact counts are checked on a fake clock in token-bucket.test.ts.
 */

const FIN = domainTokens('finance', 'sa-etl');
const WHOAMI = '/api/v1/auth/whoami';
let api: TestService;

beforeAll(async () => {
  api = await startTestService();
});
afterAll(async () => api?.stop());

async function create(name: string, maxRps: number | null): Promise<string> {
  const created = await api.call('POST', FIN, { as: 'alice', body: { name, maxRps } });
  expect(created).toMatchObject({ status: 201 });
  return created.body.token;
}

async function patch(name: string, body: unknown): Promise<void> {
  const result = await api.call('PATCH', `${FIN}/${name}`, { as: 'alice', body });
  expect(result).toMatchObject({ status: 200 });
}

const asToken = (token: string) => ({ 'X-API-Token': token });

/** `count` requests at once; the statuses, and how long they took from first sent to last answered. */
async function volley(headers: Record<string, string>, count: number) {
  const started = performance.now();
  const responses = await Promise.all(
    Array.from({ length: count }, () =>
      fetch(`${api.url}${WHOAMI}`, { headers }).then(async (response) => ({ response, text: await response.text() })),
    ),
  );
  return {
    statuses: responses.map(({ response }) => response.status),
    admitted: responses.filter(({ response }) => response.status === 200).length,
    seconds: (performance.now() - started) / 1000,
    refused: responses.find(({ response }) => response.status === 429),
    all: responses,
  };
}

/** A Structured Fields List of one Item: a String with parameters (RFC 9651), as the RateLimit draft requires. */
const SF_STRING_ITEM =
  /^"[^"\\]*"(;[a-z*][a-z0-9_.*-]*(=(-?\d{1,15}|"[^"\\]*"|\?[01]|[A-Za-z*][A-Za-z0-9:/!#$%&'*+.^_`|~-]*))?)*$/;

function parameters(item: string): Record<string, string> {
  return Object.fromEntries(
    item
      .split(';')
      .slice(1)
      .map((parameter) => parameter.split('=') as [string, string]),
  );
}

describe('the local limiter', () => {
  it('admits a burst of maxRps at once and refuses the rest with a 429 problem', async () => {
    const token = await create('burst', 3);
    const { admitted, seconds, refused } = await volley(asToken(token), 12);
    // `admitted ${admitted}`
    expect(admitted >= 3).toBeTruthy();
    // `admitted ${admitted} in ${seconds.toFixed(2)} s`
    expect(admitted <= 3 + Math.ceil(seconds * 3)).toBeTruthy();
    if (!refused) throw new Error('no request was refused');
    const { response, text } = refused;
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = JSON.parse(text);
    expect(body.status).toBe(429);
    expect(body.code).toBe('THROTTLED');
    expect(typeof body.type).toBe('string');
    expect(typeof body.title).toBe('string');
    expect(typeof body.detail).toBe('string');

    const retryAfter = response.headers.get('retry-after')!;
    // 'Retry-After is delay-seconds'
    expect(retryAfter).toMatch(/^[1-9][0-9]*$/);
    const policy = response.headers.get('ratelimit-policy')!;
    const limit = response.headers.get('ratelimit')!;
    expect(policy).toMatch(SF_STRING_ITEM);
    expect(limit).toMatch(SF_STRING_ITEM);
    expect(parameters(policy)).toStrictEqual({ q: '3', w: '1' });
    // 'RateLimit names the policy of RateLimit-Policy'
    expect(policy.split(';')[0]).toBe(limit.split(';')[0]);
    const { r, t } = parameters(limit);
    expect(r).toBe('0');
    // 'Retry-After does not point before the end of the window'
    expect(Number(t) >= 1 && Number(t) <= Number(retryAfter)).toBeTruthy();
  });

  it('holds a steady rate of maxRps under ten times that load', async () => {
    const rps = 5;
    const token = await create('steady', rps);
    const headers = asToken(token);
    const interval = 1000 / (10 * rps);
    const started = performance.now();
    const pending: Promise<number>[] = [];
    for (let i = 0; performance.now() - started < 2500; i++) {
      pending.push(
        fetch(`${api.url}${WHOAMI}`, { headers }).then(
          async (response) => (await response.arrayBuffer(), response.status),
        ),
      );
      await sleep(Math.max(0, started + (i + 1) * interval - performance.now()));
    }
    const statuses = await Promise.all(pending);
    const seconds = (performance.now() - started) / 1000;
    const admitted = statuses.filter((status) => status === 200).length;
    expect([...new Set(statuses)].sort()).toStrictEqual([200, 429]);
    const bound = rps * seconds + rps;
    // `admitted ${admitted}, bound ${bound.toFixed(1)}`
    expect(admitted <= Math.floor(bound) + 1).toBeTruthy();
    // `admitted ${admitted}: the limiter should not starve a busy token`
    expect(admitted >= 0.7 * rps * 2.5).toBeTruthy();
  });

  it('keeps each token to its own bucket', async () => {
    const first = await create('own-bucket-a', 1);
    const second = await create('own-bucket-b', 1);
    const drained = await volley(asToken(first), 4);
    expect(drained.statuses.includes(429)).toBeTruthy();
    expect((await volley(asToken(second), 1)).statuses).toStrictEqual([200]);
  });

  it('applies a raised limit at once, and a lowered one too', async () => {
    const token = await create('changing', 1);
    expect((await volley(asToken(token), 4)).statuses.includes(429)).toBeTruthy();
    await patch('changing', { maxRps: 20 });
    const raised = await volley(asToken(token), 10);
    // `statuses ${raised.statuses}`
    expect(raised.admitted).toBe(10);
    await patch('changing', { maxRps: 2 });
    const lowered = await volley(asToken(token), 10);
    // `admitted ${lowered.admitted}`
    expect(lowered.admitted >= 2 && lowered.admitted <= 2 + Math.ceil(lowered.seconds * 2)).toBeTruthy();
  });

  it('refuses a suspended token with 401, not 429, even over its limit', async () => {
    const token = await create('suspended', 1);
    expect((await volley(asToken(token), 3)).statuses.includes(429)).toBeTruthy();
    await patch('suspended', { status: 'SUSPENDED' });
    const refused = await volley(asToken(token), 5);
    expect(refused.statuses).toStrictEqual([401, 401, 401, 401, 401]);
    for (const { response, text } of refused.all) {
      expect(JSON.parse(text).code).toBe('UNAUTHORIZED');
      expect(response.headers.get('retry-after')).toBe(null);
      expect(response.headers.get('ratelimit')).toBe(null);
    }
    await patch('suspended', { status: 'ACTIVE' });
    let status = 0;
    for (const deadline = performance.now() + 3000; status !== 200 && performance.now() < deadline; await sleep(100)) {
      status = (await volley(asToken(token), 1)).statuses[0]!;
    }
    // 'reactivated, it is admitted again within its rate'
    expect(status).toBe(200);
  });

  it('answers a valid token whose key the gateway does not take (drift) 503 with Retry-After, which CI retries, not 401', async () => {
    const token = await create('drifted', 5);
    expect((await volley(asToken(token), 1)).statuses).toStrictEqual([200]);
    // The authorizer names a key the gateway does not know, as after a key deleted by hand in API Gateway.
    const usageKeys = api.service.runtime.usageKeys;
    const keyFor = usageKeys.keyFor.bind(usageKeys);
    usageKeys.keyFor = async (holder, at) => (holder.maxRps === 5 ? 'deleted-by-hand' : keyFor(holder, at));
    const refused = await volley(asToken(token), 1);
    usageKeys.keyFor = keyFor;
    expect(refused.statuses).toStrictEqual([503]);
    const { response, text } = refused.all[0]!;
    expect(JSON.parse(text)).toMatchObject({ status: 503, code: 'API_KEY_UNAVAILABLE' });
    expect(response.headers.get('retry-after')).toBe('5');
  });

  it('does not limit tokens without maxRps, nor JWT callers', async () => {
    const token = await create('unlimited', null);
    expect((await volley(asToken(token), 40)).admitted).toBe(40);
    expect((await volley({ Authorization: `Bearer ${await api.jwt('alice')}` }, 40)).admitted).toBe(40);
  });
});
