import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { devAccessToken } from '../../infra/local/dev-token-client.js';
import { readDirectoryFile } from '../../infra/local/directory-file.js';
import { DEFAULT_DIRECTORY_FILE } from '../../infra/local/paths.js';
import { startLocalService } from '../../infra/local/service.js';
import type { RateHolder } from '../../shared/auth/ports.js';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { createObservability } from '../../shared/http/observability.js';
import { enforcedRate } from '../../shared/kernel/rate-tiers.js';
import { createKeyWorker } from '../../shared/ratelimit/key-worker-handler.js';
import { QueuedKeyChanges } from '../../shared/ratelimit/key-queue.js';
import type { Admission } from '../../shared/ratelimit/local-rate-limits.js';
import { PublishedUsageKeys } from '../../shared/ratelimit/usage-keys.js';
import { deployTiers, fakeGateway, localClient, QUEUE_URL, STAGE, workerConfig } from './deployed.js';
import { FakeApiGateway } from './fake-api-gateway.js';
import { FakeKeyQueue, lambdaContext } from './fake-key-queue.js';
import { SimClock } from './sim-clock.js';

/** What `npm run bench` writes to bench/results.json as `controlPlane`, and what the test holds it to. */
export interface ControlPlaneFigures {
  creates: number;
  /** The simulated seconds within which the creates were sent. */
  windowSeconds: number;
  answered201: number;
  /** Control-plane calls API Gateway (the quota-keeping fake) refused for a quota, anyone's. */
  overQuotaCalls: number;
  /** From the first create until every token presents its own key, which API Gateway honours. */
  allOwnKeysWithinSeconds: number;
  /** What the create beyond the ceiling was answered. */
  capacityStatus: number;
  capacityCode: string;
  /** Control-plane calls made, all the key worker's (nothing on the request path has an API Gateway client). */
  controlPlaneCalls: number;
  deadLetters: number;
  /** Tokens whose own key was not yet presented when the authorizer was asked, and the key it named for them. */
  notOnOwnKey: string[];
}

export interface SimulationOptions {
  /** DynamoDB Local, already running. */
  dynamodbEndpoint: string;
  creates?: number;
  windowSeconds?: number;
  /** Others in the account calling the control plane meanwhile: calls a second, for how long. */
  others?: { perSecond: number; seconds: number };
}

const BASE = '/api/v1/domains/finance/auth/service-accounts/sa-etl/tokens';

/**
 * 1,000 creates of tokens with a `maxRps` within one simulated minute, against the whole
 * local service over HTTP (the real endpoints, authorizer and table on DynamoDB Local),
 * with API Gateway's control plane faked at the SDK boundary holding every caller to
 * AWS's quotas, and the key worker fed by a FIFO queue faked likewise, all on one
 * simulated clock. The deployment's ceiling is set to the number of creates: one more
 * create is refused. Then every token is asked for over HTTP until its own key is what
 * the authorizer names and API Gateway lets through.
 */
export async function simulateControlPlane(options: SimulationOptions): Promise<ControlPlaneFigures> {
  const creates = options.creates ?? 1000;
  const windowMs = (options.windowSeconds ?? 60) * 1000;
  const sim = new SimClock(Date.now());
  const start = sim.now;
  const fake = new FakeApiGateway({ quotas: true, now: sim.date });
  const queue = new FakeKeyQueue(() => sim.now);
  const tableName = `cp-${randomUUID()}`;
  const documents = createDocumentClient({ region: 'local', endpoint: options.dynamodbEndpoint });
  const published = new PublishedUsageKeys(documents, tableName, () => sim.now);
  let presented: string | undefined;
  const usageKeys = {
    keyFor: (holder: RateHolder, at: Date) => published.keyFor(holder, at),
    // API Gateway's part is faked: the key the authorizer named, and whether API Gateway lets it through.
    admit: async (key: string | undefined): Promise<Admission> => {
      presented = key;
      return key && fake.honours(key, STAGE, sim.date(), warmupMs)
        ? { allowed: true }
        : { allowed: false, reason: 'invalid-key' };
    },
  };
  const service = await startLocalService({
    port: 0,
    host: '127.0.0.1',
    directory: readDirectoryFile(DEFAULT_DIRECTORY_FILE),
    dynamodbEndpoint: options.dynamodbEndpoint,
    tableName,
    stream: false,
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      TOKEN_LIMIT_PER_ACCOUNT: String(creates + 1),
      RATE_LIMITED_MAX: String(creates),
    },
    parts: () => ({
      rateLimits: new QueuedKeyChanges(localClient(SQSClient), QUEUE_URL, sim.date),
      usageKeys,
      clock: sim.date,
    }),
  });
  const warmupMs = 60_000;
  try {
    const { tierPlans } = await deployTiers(fake, documents, tableName);
    const config = workerConfig(tableName);
    const worker = createKeyWorker(
      { ...createObservability(config), config, documents, clock: sim.date },
      { gateway: fakeGateway(), pacing: { now: () => sim.now, sleep: sim.sleep } },
    );
    const jwt = await devAccessToken(service.issuer, 'alice');
    const post = async (name: string, maxRps: number) => {
      const reply = await fetch(`${service.url}${BASE}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, maxRps }),
      });
      return { status: reply.status, body: (await reply.json()) as { token?: string; code?: string } };
    };

    const tokens: { name: string; token: string; maxRps: number }[] = [];
    let answered201 = 0;
    let lastSentAt = start;
    let creating = true;
    const creator = sim.run(async () => {
      for (let i = 0; i < creates; i++) {
        await sim.sleep(start + Math.floor((i * windowMs) / creates) - sim.now);
        // Spread over the tiers, as real limits would be.
        const maxRps = 1 + ((i * 7919) % 2000);
        lastSentAt = sim.now;
        const reply = await post(`sim-${i}`, maxRps);
        if (reply.status === 201) {
          answered201 += 1;
          tokens.push({ name: `sim-${i}`, token: reply.body.token!, maxRps });
        }
      }
      creating = false;
    });
    const others = options.others;
    const competitor = others
      ? sim.run(async () => {
          for (let t = 0; t < others.seconds * others.perSecond; t++) {
            fake.spend('GetApiKeys');
            await sim.sleep(1000 / others.perSecond);
          }
        })
      : Promise.resolve();
    const consumer = sim.run(async () => {
      while (creating || queue.depth > 0) {
        if (await queue.deliver(worker, () => lambdaContext(() => sim.now))) continue;
        // An event source mapping polls an empty queue; a blocked group waits for its head.
        await sim.sleep(Math.max(200, (queue.nextVisibleAt ?? 0) - sim.now));
      }
    });
    await Promise.all([creator, consumer, competitor]);
    const controlPlaneCalls = fake.calls.length;

    const beyond = await post('sim-beyond', 5);
    // Every token's own key ready: the last of their warm-ups.
    let readyAt = start;
    for (const { name } of tokens) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: keys.token('sa-etl', name), ConsistentRead: true }),
      );
      readyAt = Math.max(readyAt, Date.parse(String(Item?.keyReadyAt ?? new Date(8.64e15).toISOString())));
    }
    sim.now = Math.max(sim.now, readyAt);
    const notOnOwnKey: string[] = [];
    for (const { name, token, maxRps } of tokens) {
      presented = undefined;
      const reply = await fetch(`${service.url}/api/v1/auth/whoami`, { headers: { 'X-API-Token': token } });
      const { Item } = await documents.send(
        new GetCommand({ TableName: tableName, Key: keys.token('sa-etl', name), ConsistentRead: true }),
      );
      const own = Item?.usageKey;
      const inTier = fake.plansOf(String(Item?.apiKeyId)).includes(tierPlans.get(enforcedRate(maxRps))!);
      if (reply.status !== 200 || presented !== own || !inTier) notOnOwnKey.push(`${name}: ${reply.status}`);
    }
    return {
      creates,
      windowSeconds: Math.ceil((lastSentAt - start) / 1000),
      answered201,
      overQuotaCalls: fake.overQuota,
      allOwnKeysWithinSeconds: Math.ceil((readyAt - start) / 1000),
      capacityStatus: beyond.status,
      capacityCode: String(beyond.body.code),
      controlPlaneCalls,
      deadLetters: queue.deadLetters.length,
      notOnOwnKey,
    };
  } finally {
    fake.restore();
    queue.restore();
    await service.stop();
    documents.destroy();
  }
}
