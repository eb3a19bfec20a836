import { afterEach, describe, expect, it } from '@jest/globals';
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  GetApiKeysCommand,
} from '@aws-sdk/client-api-gateway';
import { FakeApiGateway } from './fake-api-gateway.js';

/** The control-plane double holds callers to AWS's quotas, so a design that would be throttled in AWS is here. */

const client = new APIGatewayClient({ region: 'local', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
let fake: FakeApiGateway | undefined;
afterEach(() => fake?.restore());

function simulated() {
  let now = Date.parse('2026-12-06T00:00:00Z');
  fake = new FakeApiGateway({ quotas: true, now: () => new Date(now) });
  return { fake, advance: (ms: number) => (now += ms) };
}

const list = () => client.send(new GetApiKeysCommand({ limit: 1 }));
let sequence = 0;
const createKey = () =>
  client.send(new CreateApiKeyCommand({ name: 'k', value: `value${++sequence}`.padEnd(24, '0') }));
async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    const { name, retryAfterSeconds, $metadata } = error as any;
    return `${name} ${retryAfterSeconds ?? '-'} ${$metadata?.httpStatusCode ?? '-'}`;
  }
}

describe('the fake API Gateway with quotas', () => {
  it('lets 40 calls through at once, then 10 a second, and answers the rest TooManyRequestsException', async () => {
    const { fake, advance } = simulated();
    const first = await Promise.all(Array.from({ length: 41 }, () => outcome(list)));
    expect(first.filter((o) => o === 'ok')).toHaveLength(40);
    expect(first.at(-1)).toBe('TooManyRequestsException 1 429');
    advance(1000);
    const next = [];
    for (let i = 0; i < 11; i++) next.push(await outcome(list));
    expect(next.filter((o) => o === 'ok')).toHaveLength(10);
    expect(fake.overQuota).toBe(2);
    expect(fake.throttled.get('GetApiKeys')).toBe(2);
  });

  it('holds CreateApiKey to 5 a second within the total', async () => {
    const { fake, advance } = simulated();
    const burst = [];
    for (let i = 0; i < 6; i++) burst.push(await outcome(createKey));
    expect(burst).toStrictEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'TooManyRequestsException 1 429']);
    // Other operations still pass: the total has room.
    expect(await outcome(list)).toBe('ok');
    advance(200);
    expect(await outcome(createKey)).toBe('ok');
    expect(fake.overQuota).toBe(1);
  });

  it('holds UpdateUsagePlan to one call every 20 seconds', async () => {
    const { fake, advance } = simulated();
    const plan = fake.addPlan('p', 'api:prod', []);
    const update = () => fake.spend('UpdateUsagePlan');
    expect([update(), update()]).toStrictEqual([true, false]);
    advance(19_000);
    expect(update()).toBe(false);
    advance(1_000);
    expect(update()).toBe(true);
    expect(plan.id).toBeDefined();
  });

  it('counts the calls others in the account make against the same budget', async () => {
    const { fake } = simulated();
    for (let i = 0; i < 40; i++) expect(fake.spend('GetUsagePlans')).toBe(true);
    expect(await outcome(list)).toBe('TooManyRequestsException 1 429');
  });

  it('refuses the 10,001st key of the account with LimitExceededException, whoever made the others', async () => {
    const { fake } = simulated();
    // AWS's figures, not the fake's own constant: a fake that drifted from them would pass a test that read it.
    for (let i = 0; i < 9_999; i++) fake.addKey(`other-team-${i}`);
    expect(await outcome(createKey)).toBe('ok');
    expect(await outcome(createKey)).toBe('LimitExceededException - 429');
    expect(fake.keys.size).toBe(10_000);
  });

  it('refuses the 301st usage plan and an 11th plan for one key with LimitExceededException', async () => {
    const { fake } = simulated();
    const key = fake.addKey('busy');
    for (let i = 0; i < 299; i++) fake.addPlan(`plan-${i}`, `api${i}:prod`, i < 10 ? [key.id] : []);
    const createPlan = () => client.send(new CreateUsagePlanCommand({ name: 'one-more' }));
    expect(await outcome(createPlan)).toBe('ok');
    expect(await outcome(createPlan)).toBe('LimitExceededException - 429');
    const eleventh = [...fake.plans.values()][10]!;
    expect(
      await outcome(() =>
        client.send(new CreateUsagePlanKeyCommand({ usagePlanId: eleventh.id, keyId: key.id, keyType: 'API_KEY' })),
      ),
    ).toBe('LimitExceededException - 429');
  });
});
