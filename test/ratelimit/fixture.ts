import { expect } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { RateHolder } from '../../shared/auth/ports.js';
import type { Config } from '../../shared/kernel/config.js';
import { ids } from '../../shared/kernel/ids.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { ensureTable } from '../../shared/dynamodb/table.js';
import { createObservability } from '../../shared/http/observability.js';
import { keyNamePrefix } from '../../shared/ratelimit/gateway-names.js';
import { createKeyWorker } from '../../shared/ratelimit/key-worker-handler.js';
import { QueuedKeyChanges } from '../../shared/ratelimit/key-queue.js';
import { Pacer } from '../../shared/ratelimit/pacer.js';
import { type ReconcileReport, reconcileRateLimits } from '../../shared/ratelimit/reconcile.js';
import { PublishedUsageKeys } from '../../shared/ratelimit/usage-keys.js';
import { DynamoTokenStore } from '../../shared/tokens/token-store.js';
import { DynamoDirectoryStore } from '../../shared/directory/directory-store.js';
import { DynamoPolicyStore } from '../../shared/federation/policy-store.js';
import type { PolicyDeps } from '../../shared/federation/policies.js';
import { type ImportDeps, importDirectory } from '../../shared/directory/import.js';
import { type CreatedToken, type CreateTokenDeps, createToken } from '../../shared/tokens/create-token.js';
import { deleteToken } from '../../shared/tokens/delete-token.js';
import { type UpdateTokenDeps, updateToken } from '../../shared/tokens/update-token.js';
import { exampleDirectory } from '../support/service.js';
import { type FakeKey, FakeApiGateway } from './fake-api-gateway.js';
import { FakeKeyQueue, lambdaContext } from './fake-key-queue.js';
import { API, deployTiers, fakeGateway, localClient, QUEUE_URL, workerConfig } from './deployed.js';
import { SimClock } from './sim-clock.js';

export { API, STAGE } from './deployed.js';

export interface KeysFixture {
  sim: SimClock;
  fake: FakeApiGateway;
  queue: FakeKeyQueue;
  documents: DynamoDBDocumentClient;
  tableName: string;
  deps: CreateTokenDeps & UpdateTokenDeps;
  policies: PolicyDeps;
  importDeps: ImportDeps;
  config: Config;
  tierPlans: Map<number, string>;
  pooled: Map<number, FakeKey>;
  unthrottled: FakeKey;
  usageKeys: PublishedUsageKeys;
  compensationFailures: string[];
  create(name: string, maxRps: number | null, serviceAccountId?: string): Promise<CreatedToken>;
  update(name: string, changes: { status?: 'ACTIVE' | 'SUSPENDED'; maxRps?: number | null }): Promise<unknown>;
  remove(name: string): Promise<void>;
  stored(name: string, serviceAccountId?: string): Promise<Record<string, unknown> | undefined>;
  credential(lookupId: string): Promise<Record<string, unknown> | undefined>;
  /** The key the authorizer names for a token now. */
  presented(name: string, serviceAccountId?: string): Promise<string>;
  /** Runs the key worker (one invocation a batch) until the queue is empty or blocked; the batches it ran. */
  drain(): Promise<number>;
  /** The worker's handler, as Lambda invokes it. */
  worker: ReturnType<typeof createKeyWorker>;
  ownKeys(): FakeKey[];
  reconcile(apply: boolean, options?: { graceSeconds?: number }): Promise<ReconcileReport>;
  /** Nothing out of step: reconcile finds no drift. */
  assertInStep(): Promise<void>;
  /** Removes a token's items behind the service's back, as DynamoDB TTL would. */
  removeBehindTheBack(name: string, serviceAccountId?: string): Promise<void>;
  close(): void;
}

export async function keysFixture(
  options: { quotas?: boolean; env?: Record<string, string> } = {},
): Promise<KeysFixture> {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run the tests with npm test');
  const raw = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const tableName = `rl-${randomUUID()}`;
  await ensureTable(raw, tableName, { stream: false });
  const documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const sim = new SimClock();
  const fake = new FakeApiGateway({ quotas: options.quotas ?? false, now: sim.date });
  const queue = new FakeKeyQueue(() => sim.now);
  const { unthrottled, tierPlans, pooled } = await deployTiers(fake, documents, tableName);
  const config = workerConfig(tableName, options.env);
  const compensationFailures: string[] = [];
  const onCompensationFailure = (_error: unknown, step: string) => void compensationFailures.push(step);
  const rateLimits = new QueuedKeyChanges(localClient(SQSClient), QUEUE_URL, sim.date);
  const tokens = new DynamoTokenStore(documents, tableName, { rateLimitedMax: config.tokens.rateLimitedMax });
  const deps: CreateTokenDeps & UpdateTokenDeps = {
    tokens,
    rateLimits,
    clock: sim.date,
    ids,
    config: { tokens: { limitPerAccount: 50, maxLifetimeDays: 365, retentionDays: 30 } },
    onCompensationFailure,
  };
  const policies: PolicyDeps = {
    policies: new DynamoPolicyStore(documents, tableName, 400, config.tokens.rateLimitedMax),
    rateLimits,
    clock: sim.date,
    ids,
    defaultAudience: 'service-account-tokens',
    onCompensationFailure,
  };
  const importDeps: ImportDeps = { directory: new DynamoDirectoryStore(documents, tableName), tokens: deps, policies };
  await importDirectory(importDeps, exampleDirectory(), { replace: true });
  const gateway = fakeGateway();
  const worker = createKeyWorker(
    { ...createObservability(config), config, documents, clock: sim.date },
    { gateway, pacing: { now: () => sim.now, sleep: sim.sleep } },
  );
  const usageKeys = new PublishedUsageKeys(documents, tableName, () => sim.now);
  const get = async (key: { pk: string; sk: string }) =>
    (await documents.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
  const stored = (name: string, account = 'sa-etl') => get(keys.token(account, name));
  const reconcile = (apply: boolean, reconcileOptions: { graceSeconds?: number } = {}) =>
    reconcileRateLimits(
      {
        documents,
        tableName,
        gateway,
        pacer: new Pacer({ callsPerSecond: 1, now: () => sim.now, sleep: sim.sleep }),
        stage: API,
        tierPlans,
        queue: rateLimits,
        clock: sim.date,
        orphanGraceSeconds: reconcileOptions.graceSeconds ?? 0,
      },
      { apply },
    );
  const fixture: KeysFixture = {
    sim,
    fake,
    queue,
    documents,
    tableName,
    deps,
    policies,
    importDeps,
    config,
    tierPlans,
    pooled,
    unthrottled,
    usageKeys,
    compensationFailures,
    worker,
    create: async (name, maxRps, serviceAccountId = 'sa-etl') => {
      const { incarnation } = (await importDeps.directory.getPrincipal(serviceAccountId)) ?? {};
      return createToken(deps, { serviceAccountId, name, maxRps, expiresAt: null, createdBy: 'alice', incarnation });
    },
    update: (name, changes) => updateToken(deps, 'sa-etl', name, changes),
    remove: (name) => deleteToken(deps, 'sa-etl', name),
    stored,
    credential: (lookupId) => get(keys.credential(lookupId)),
    async presented(name, account = 'sa-etl') {
      const token = await stored(name, account);
      const credential = await get(keys.credential(String(token?.lookupId)));
      if (!credential) throw new Error(`no credential for ${name}`);
      const holder: RateHolder = {
        maxRps: (credential.maxRps as number | null) ?? null,
        lookupId: String(credential.lookupId),
        key: {
          ...(credential.usageKey ? { usageKey: credential.usageKey as string } : {}),
          ...(credential.keyRps ? { keyRps: credential.keyRps as number } : {}),
          ...(credential.keyReadyAt ? { keyReadyAt: credential.keyReadyAt as string } : {}),
        },
      };
      return usageKeys.keyFor(holder, sim.date());
    },
    async drain() {
      let batches = 0;
      for (;;) {
        if (await queue.deliver(worker, () => lambdaContext(() => sim.now))) {
          batches += 1;
          continue;
        }
        if (queue.nextVisibleAt === undefined) return batches;
        // A batch that failed blocks the group until its visibility timeout: wait it out.
        await sim.sleep(queue.nextVisibleAt - sim.now);
      }
    },
    ownKeys: () => [...fake.keys.values()].filter((key) => key.name.startsWith(keyNamePrefix(API))),
    reconcile,
    async assertInStep() {
      const report = await reconcile(false);
      expect(report.drift).toStrictEqual([]);
    },
    async removeBehindTheBack(name, account = 'sa-etl') {
      const item = await stored(name, account);
      if (!item) throw new Error('item is missing');
      await documents.send(new DeleteCommand({ TableName: tableName, Key: keys.token(account, name) }));
      await documents.send(new DeleteCommand({ TableName: tableName, Key: keys.credential(String(item.lookupId)) }));
    },
    close() {
      fake.restore();
      queue.restore();
      raw.destroy();
    },
  };
  return fixture;
}
