import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../shared/dynamodb/client.js';
import { createObservability } from '../../shared/http/observability.js';
import type { Config } from '../../shared/kernel/config.js';
import { ProblemError } from '../../shared/kernel/errors.js';
import { ids } from '../../shared/kernel/ids.js';
import { enforcedRate } from '../../shared/kernel/rate-tiers.js';
import type { KeyOwners } from '../../shared/ratelimit/key-worker.js';
import { MemoryKeyOwners } from '../../shared/ratelimit/memory-key-owners.js';
import { type CreateTokenDeps, createToken } from '../../shared/tokens/create-token.js';
import { MemoryTokenStore } from '../../shared/tokens/memory-token-store.js';
import { MemoryTokenTable } from '../../shared/tokens/memory-token-table.js';
import { bindingOf } from '../../shared/tokens/token-items.js';
import { createKeyWorker } from '../../shared/ratelimit/key-worker-handler.js';
import { QueuedKeyChanges } from '../../shared/ratelimit/key-queue.js';
import { ownKey } from '../../shared/ratelimit/usage-keys.js';
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
  creates?: number;
  windowSeconds?: number;
  /** Others in the account calling the control plane meanwhile: calls a second, for how long. */
  others?: { perSecond: number; seconds: number };
  /**
   * The service the creates go to: by default the create use case and the key worker on
   * the in-memory adapters (held to DynamoDB's by the port-contract suites); `overHttp`
   * (control-plane-http.ts) is the whole local service over HTTP on DynamoDB Local.
   */
  service?: (setting: SimulationSetting) => Promise<SimulatedService>;
}

/** What a simulated service is made with: one clock, one faked control plane, the worker's queue. */
export interface SimulationSetting {
  creates: number;
  sim: SimClock;
  fake: FakeApiGateway;
  rateLimits: QueuedKeyChanges;
}

export const ACCOUNT = 'sa-etl';
export const WARMUP_MS = 60_000;

/** What the simulation drives: the service's creates, its key worker, and what the authorizer names for a token. */
export interface SimulatedService {
  /** The tiers' plans, as deployed in the fake. */
  tierPlans: Map<number, string>;
  /** A create's status, and its token (201) or its problem's code. */
  create(name: string, maxRps: number): Promise<{ status: number; token?: string; code?: string }>;
  worker: ReturnType<typeof createKeyWorker>;
  /** A token's key as stored (its value, id and when it is ready). */
  stored(name: string): Promise<{ usageKey?: unknown; apiKeyId?: unknown; keyReadyAt?: unknown } | undefined>;
  /** What a call with the token gets: its status, and the key the authorizer named for it. */
  call(name: string, token: string): Promise<{ status: number; presented: string | undefined }>;
  stop(): Promise<void>;
}

/**
 * 1,000 creates of tokens with a `maxRps` within one simulated minute, with API Gateway's
 * control plane faked at the SDK boundary holding every caller to AWS's quotas, and the
 * key worker fed by a FIFO queue faked likewise, all on one simulated clock. The service
 * is the create use case and the key worker on the in-memory adapters, or (`service`)
 * the whole local service over HTTP: the real endpoints, authorizer and table on DynamoDB Local.
 * The deployment's ceiling is set to the number of creates: one more create is refused.
 * Then every token is asked for until its own key is what the authorizer names and API
 * Gateway lets through.
 */
export async function simulateControlPlane(options: SimulationOptions = {}): Promise<ControlPlaneFigures> {
  const creates = options.creates ?? 1000;
  const windowMs = (options.windowSeconds ?? 60) * 1000;
  const sim = new SimClock(Date.now());
  const start = sim.now;
  const fake = new FakeApiGateway({ quotas: true, now: sim.date });
  const queue = new FakeKeyQueue(() => sim.now);
  const rateLimits = new QueuedKeyChanges(localClient(SQSClient), QUEUE_URL, sim.date);
  let service: SimulatedService | undefined;
  try {
    service = await (options.service ?? inMemory)({ creates, sim, fake, rateLimits });
    const { worker, tierPlans } = service;
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
        const reply = await service!.create(`sim-${i}`, maxRps);
        if (reply.status === 201) {
          answered201 += 1;
          tokens.push({ name: `sim-${i}`, token: reply.token!, maxRps });
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

    const beyond = await service.create('sim-beyond', 5);
    // Every token's own key ready: the last of their warm-ups.
    let readyAt = start;
    for (const { name } of tokens) {
      const item = await service.stored(name);
      readyAt = Math.max(readyAt, Date.parse(String(item?.keyReadyAt ?? new Date(8.64e15).toISOString())));
    }
    sim.now = Math.max(sim.now, readyAt);
    const notOnOwnKey: string[] = [];
    for (const { name, token, maxRps } of tokens) {
      const { status, presented } = await service.call(name, token);
      const item = await service.stored(name);
      const inTier = fake.plansOf(String(item?.apiKeyId)).includes(tierPlans.get(enforcedRate(maxRps))!);
      if (status !== 200 || presented !== item?.usageKey || !inTier) notOnOwnKey.push(`${name}: ${status}`);
    }
    return {
      creates,
      windowSeconds: Math.ceil((lastSentAt - start) / 1000),
      answered201,
      overQuotaCalls: fake.overQuota,
      allOwnKeysWithinSeconds: Math.ceil((readyAt - start) / 1000),
      capacityStatus: beyond.status,
      capacityCode: String(beyond.code),
      controlPlaneCalls,
      deadLetters: queue.deadLetters.length,
      notOnOwnKey,
    };
  } finally {
    fake.restore();
    queue.restore();
    await service?.stop();
  }
}

/**
 * The key worker as the stack wires it, on the simulated clock: `owners` in memory, or
 * DynamoDB's from `documents`; the tier plans configured (in memory) or read from the table.
 */
export function simulatedWorker(sim: SimClock, documents: DynamoDBDocumentClient, config: Config, owners?: KeyOwners) {
  return createKeyWorker(
    { ...createObservability(config), config, documents, clock: sim.date },
    { gateway: fakeGateway(), pacing: { now: () => sim.now, sleep: sim.sleep }, ...(owners && { owners }) },
  );
}

/**
 * The create use case and the key worker on the in-memory adapters (the token table, the
 * key worker's owners), the tier plans configured as TIER_PLANS would; the authorizer's
 * choice of key (`ownKey`, else the tier's pooled key) on the token's credential.
 */
async function inMemory({ creates, sim, fake, rateLimits }: SimulationSetting): Promise<SimulatedService> {
  const { tierPlans } = await deployTiers(fake);
  const table = new MemoryTokenTable(() => ({ type: 'SERVICE_ACCOUNT' }));
  const deps: CreateTokenDeps = {
    tokens: new MemoryTokenStore(table, { rateLimitedMax: creates }),
    rateLimits,
    clock: sim.date,
    ids,
    config: { tokens: { limitPerAccount: creates + 1, maxLifetimeDays: 365, retentionDays: 30 } },
  };
  const plans = [...tierPlans].map(([rps, id]) => `${rps}=${id}`).join(',');
  const config = workerConfig('in-memory', { TIER_PLANS: plans });
  // Never called: the owners are in memory and the tier plans configured.
  const documents = createDocumentClient({ region: 'local', endpoint: 'http://127.0.0.1:9' });
  const stored = (name: string) => table.token(ACCOUNT, name);
  return {
    tierPlans,
    worker: simulatedWorker(sim, documents, config, new MemoryKeyOwners(table)),
    async create(name, maxRps) {
      const input = { serviceAccountId: ACCOUNT, name, maxRps, expiresAt: null, createdBy: 'alice' };
      return createToken(deps, input).then(
        (created) => ({ status: 201, token: created.token }),
        (error: unknown) => {
          if (error instanceof ProblemError) return { status: error.status, code: error.code };
          throw error;
        },
      );
    },
    stored: async (name) => stored(name),
    async call(name) {
      const credential = table.credential(String(stored(name)?.lookupId));
      if (!credential || credential.maxRps === null) return { status: 401, presented: undefined };
      const holder = { maxRps: credential.maxRps, lookupId: credential.lookupId, key: bindingOf(credential) };
      const presented = ownKey(holder, sim.date()) ?? `pooled-${enforcedRate(credential.maxRps)}`;
      const honoured = fake.honours(presented, STAGE, sim.date(), WARMUP_MS);
      return { status: honoured ? 200 : 403, presented };
    },
    async stop() {
      documents.destroy();
    },
  };
}
