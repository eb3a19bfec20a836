import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import fc from 'fast-check';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { RateHolder } from '../../shared/auth/ports.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { createObservability } from '../../shared/http/observability.js';
import { enforcedRate, MAX_RPS_CEILING, RATE_TIERS, TOKEN_MAX_RPS } from '../../shared/kernel/rate-tiers.js';
import { Pacer } from '../../shared/ratelimit/pacer.js';
import { createSharedKeyPublisher } from '../../shared/ratelimit/publish-keys.js';
import { ownKey, PublishedUsageKeys } from '../../shared/ratelimit/usage-keys.js';
import { fakeGateway } from './deployed.js';
import { type KeysFixture, keysFixture } from './fixture.js';

/**
 * The key each call presents (the authorizer's choice) and where the shared keys' values
 * come from: a limited token is never let through unthrottled, and never held to a rate
 * above its maxRps or more than 20 % below it.
 */

let f: KeysFixture;
beforeAll(async () => {
  f = await keysFixture();
});
afterAll(() => f?.close());

const at = new Date('2026-12-06T12:00:00Z');
const holder = (maxRps: number | null, key: RateHolder['key'] = {}): RateHolder => ({ maxRps, lookupId: 'L', key });

describe('the key a call presents', () => {
  it('is a limited token’s own key only in a plan between its tier and its maxRps, once ready; else its tier’s pooled key', async () => {
    const published = f.usageKeys;
    const pooled = (rps: number) => f.pooled.get(enforcedRate(rps))!.value;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: MAX_RPS_CEILING }),
        fc.option(fc.constantFrom(...RATE_TIERS, 5, 100, 3389, 8278, 9999)),
        fc.integer({ min: -120, max: 120 }),
        async (maxRps, keyRps, readyInSeconds) => {
          const key = {
            usageKey: 'own-key-value',
            ...(keyRps === null ? {} : { keyRps }),
            keyReadyAt: new Date(at.getTime() + readyInSeconds * 1000).toISOString(),
          };
          const presented = await published.keyFor(holder(maxRps, key), at);
          expect(presented).not.toBe(f.unthrottled.value);
          const fits =
            keyRps !== null &&
            keyRps <= Math.min(maxRps, TOKEN_MAX_RPS) &&
            keyRps >= enforcedRate(maxRps) &&
            readyInSeconds <= 0;
          expect(presented).toBe(fits ? 'own-key-value' : pooled(maxRps));
        },
      ),
    );
  });

  it('is never a key faster than the top tier: an earlier version’s, for a maxRps above what a token can reach', () => {
    const ready = at.toISOString();
    // A token given 10000 before tokens were held to 3000, its key in a plan the ladder no longer has.
    expect(ownKey(holder(10_000, { usageKey: 'old', keyRps: 8278, keyReadyAt: ready }), at)).toBeUndefined();
    expect(ownKey(holder(10_000, { usageKey: 'moved', keyRps: 2711, keyReadyAt: ready }), at)).toBe('moved');
  });

  it('is the unthrottled key for a token without a limit and a JWT caller, whatever key it holds', async () => {
    expect(await f.usageKeys.keyFor(holder(null, { usageKey: 'x', keyRps: 5, keyReadyAt: at.toISOString() }), at)).toBe(
      f.unthrottled.value,
    );
    expect(await f.usageKeys.keyFor({ maxRps: null, key: {} }, at)).toBe(f.unthrottled.value);
    expect(ownKey(holder(null, { usageKey: 'x', keyRps: 5, keyReadyAt: at.toISOString() }), at)).toBeUndefined();
  });

  it('refuses rather than lets through a limited token when its tier’s pooled key was never published', async () => {
    const empty = new PublishedUsageKeys(f.documents, `${f.tableName}-missing`);
    await expect(empty.keyFor(holder(5), at)).rejects.toThrow();
    const partial = new PublishedUsageKeys(f.documents, f.tableName);
    await partial.publish({ unthrottled: f.unthrottled.value, pooled: {} });
    await expect(partial.keyFor(holder(5), at)).rejects.toThrow(/pooled key of tier 4/);
    expect(await partial.keyFor(holder(null), at)).toBe(f.unthrottled.value);
    await partial.publish({
      unthrottled: f.unthrottled.value,
      pooled: Object.fromEntries([...f.pooled].map(([rps, key]) => [String(rps), key.value])),
    });
  });

  it('reads the shared keys once per container for a few minutes, then again (a deployment may replace them)', async () => {
    let now = 0;
    const published = new PublishedUsageKeys(f.documents, f.tableName, () => now);
    const reads: unknown[] = [];
    const send = f.documents.send.bind(f.documents);
    const documents = { send: (command: unknown) => (reads.push(command), send(command as never)) };
    const counted = new PublishedUsageKeys(documents as never, f.tableName, () => now);
    for (let i = 0; i < 3; i++) await counted.keyFor(holder(5), at);
    expect(reads).toHaveLength(1);
    now += 301_000;
    await counted.keyFor(holder(5), at);
    expect(reads).toHaveLength(2);
    expect(await published.keyFor(holder(5), at)).toBe(f.pooled.get(4)!.value);
  });
});

describe('the deploy-time publisher', () => {
  let cloudFormation: Server;
  let answers: Record<string, unknown>[] = [];
  beforeAll(async () => {
    cloudFormation = createServer((request, response) => {
      let body = '';
      request
        .on('data', (chunk) => (body += chunk))
        .on('end', () => {
          answers.push(JSON.parse(body));
          response.end();
        });
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => cloudFormation.once('listening', resolve));
  });
  afterAll(() => {
    cloudFormation?.close();
  });

  const event = (properties: Record<string, unknown>, requestType = 'Create') =>
    ({
      RequestType: requestType,
      ResourceProperties: properties,
      ResponseURL: `http://127.0.0.1:${(cloudFormation.address() as { port: number }).port}/`,
      StackId: 's',
      RequestId: 'r',
      LogicalResourceId: 'SharedUsageKey',
    }) as never;

  it('copies the unthrottled and every pooled key’s value into the table, paced, and answers CloudFormation without a value', async () => {
    const observability = createObservability({ logLevel: 'SILENT', metrics: false });
    const publish = createSharedKeyPublisher(
      { ...observability, documents: f.documents, config: { region: 'local', tableName: f.tableName } },
      fakeGateway(),
      new Pacer({ callsPerSecond: 2, now: () => f.sim.now, sleep: f.sim.sleep }),
    );
    f.fake.resetCalls();
    const started = f.sim.now;
    await publish(
      event({
        ApiKeyId: f.unthrottled.id,
        PooledKeyIds: Object.fromEntries([...f.pooled].map(([rps, key]) => [String(rps), key.id])),
      }),
    );
    expect(f.fake.commands()).toStrictEqual(Array(1 + RATE_TIERS.length).fill('GetApiKey'));
    // Two a second, within the deployment's own calls: the first at once, each other half a second later.
    expect(f.sim.now - started).toBeGreaterThanOrEqual(RATE_TIERS.length * 500);
    const { Item } = await f.documents.send(
      new GetCommand({ TableName: f.tableName, Key: keys.sharedUsageKey(), ConsistentRead: true }),
    );
    expect(Item).toMatchObject({ value: f.unthrottled.value, pooled: { '2711': f.pooled.get(2711)!.value } });
    expect(answers.at(-1)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'shared-usage-key', NoEcho: true });
    expect(JSON.stringify(answers)).not.toContain(f.unthrottled.value);
    // A key that does not exist fails the deployment, which says so without a value.
    await publish(event({ ApiKeyId: 'nope', PooledKeyIds: {} }));
    expect(answers.at(-1)).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/NotFoundException/) });
    // On delete the values stay: the table outlives the stack.
    await publish(event({}, 'Delete'));
    expect(answers.at(-1)).toMatchObject({ Status: 'SUCCESS' });
    answers = [];
  });

  it('publishes the tier plans’ ids for the key worker and reconcile, which refuse to work without them', async () => {
    const observability = createObservability({ logLevel: 'SILENT', metrics: false });
    const publish = createSharedKeyPublisher(
      { ...observability, documents: f.documents, config: { region: 'local', tableName: f.tableName } },
      fakeGateway(),
    );
    const published = new PublishedUsageKeys(f.documents, f.tableName);
    await f.documents.send(new DeleteCommand({ TableName: f.tableName, Key: keys.tierPlans() }));
    await expect(published.tierPlans()).rejects.toThrow(/not in the table/);
    f.fake.resetCalls();
    await publish(event({ TierPlans: { '1': 'plan-1', '2711': 'plan-2711' } }));
    // No API Gateway call: the ids come from CloudFormation.
    expect(f.fake.commands()).toStrictEqual([]);
    expect(answers.at(-1)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'tier-plans' });
    expect(await published.tierPlans()).toStrictEqual(
      new Map([
        [1, 'plan-1'],
        [2711, 'plan-2711'],
      ]),
    );
    answers = [];
  });
});
