import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Config, readConfig } from '../../shared/kernel/config.js';
import { RATE_TIERS } from '../../shared/kernel/rate-tiers.js';
import { PublishedUsageKeys } from '../../shared/ratelimit/usage-keys.js';
import type { FakeApiGateway, FakeKey } from './fake-api-gateway.js';

/** What the stack deploys for rate limiting, in the fakes: shared by the tests and the benchmark's simulation. */

export const API = { restApiId: 'a1b2c3d4e5', stage: 'prod' };
export const STAGE = `${API.restApiId}:${API.stage}`;
export const QUEUE_URL = 'https://sqs.local/000000000000/KeyWork.fifo';
export const localClient = <T>(Client: new (config: object) => T) =>
  new Client({ region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

/**
 * What the stack deploys, in the fake: the unthrottled key and plan, and each rate tier's
 * plan (rate and burst the tier, on the stage) with its pooled key; the keys' values and
 * the plans' ids published to the table, as the custom resources do.
 */
export async function deployTiers(fake: FakeApiGateway, documents?: DynamoDBDocumentClient, tableName = '') {
  const unthrottled = fake.addKey('stack-unthrottled');
  fake.addPlan('stack-unthrottled', STAGE, [unthrottled.id]);
  const tierPlans = new Map<number, string>();
  const pooled = new Map<number, FakeKey>();
  for (const rps of RATE_TIERS) {
    const key = fake.addKey(`stack-pooled-rps${rps}`);
    const plan = fake.addPlan(`stack-rps${rps}`, STAGE, [key.id]);
    plan.rateLimit = rps;
    plan.burstLimit = rps;
    tierPlans.set(rps, plan.id);
    pooled.set(rps, key);
  }
  // Without a table (a simulation on the in-memory adapters), the worker is configured with the plans instead.
  if (!documents) return { unthrottled, tierPlans, pooled };
  const published = new PublishedUsageKeys(documents, tableName);
  await published.publish({
    unthrottled: unthrottled.value,
    pooled: Object.fromEntries([...pooled].map(([rps, key]) => [String(rps), key.value])),
  });
  await published.publishTierPlans(Object.fromEntries([...tierPlans].map(([rps, id]) => [String(rps), id])));
  return { unthrottled, tierPlans, pooled };
}

/** A configuration as the stack gives the key worker and reconcile: the tier plans they read from the table. */
export function workerConfig(tableName: string, env: Record<string, string> = {}): Config {
  const config = readConfig({ TABLE_NAME: tableName, REST_API_ID: API.restApiId, API_STAGE: API.stage, ...env });
  return { ...config, logLevel: 'SILENT', apiGateway: { ...config.apiGateway!, keyQueueUrl: QUEUE_URL } };
}

/** API Gateway's client as the worker's, against the fake (which answers every client). */
export const fakeGateway = () => localClient(APIGatewayClient);
