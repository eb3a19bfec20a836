import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient } from '../../../shared/dynamodb/client.js';
import { createObservability } from '../../../shared/http/observability.js';
import { createKeyWorker } from '../../../shared/ratelimit/key-worker-handler.js';
import { QueuedKeyChanges } from '../../../shared/ratelimit/key-queue.js';
import { Pacer } from '../../../shared/ratelimit/pacer.js';
import { reconcileRateLimits } from '../../../shared/ratelimit/reconcile.js';
import { PublishedUsageKeys } from '../../../shared/ratelimit/usage-keys.js';
import { API, deployTiers, fakeGateway, localClient, QUEUE_URL, workerConfig } from '../../ratelimit/deployed.js';
import { FakeApiGateway } from '../../ratelimit/fake-api-gateway.js';
import { FakeKeyQueue, lambdaContext } from '../../ratelimit/fake-key-queue.js';
import type { SecurityService } from './harness.js';

/**
 * A security service as in AWS: its changes go to the key worker's queue (faked), its
 * authorizer names keys from the published shared keys, and API Gateway is faked at the
 * SDK boundary. The worker and reconcile run on a client without the service's faults,
 * on their own time (their pacing and the queue's timeouts pass at once), when asked.
 */
export interface AwsWorld {
  fake: FakeApiGateway;
  queue: FakeKeyQueue;
  usageKeys: PublishedUsageKeys;
  unthrottled: string;
  drain(): Promise<void>;
  reconcile(apply: boolean): ReturnType<typeof reconcileRateLimits>;
}
export async function inAws(api: SecurityService): Promise<AwsWorld> {
  // The worker's and reconcile's own time, and a client without faults: the faults are the request's.
  let now = Date.now();
  const pacing = { now: () => now, sleep: async (ms: number) => void (now += ms) };
  const fake = new FakeApiGateway();
  const queue = new FakeKeyQueue(() => now);
  const documents = createDocumentClient({ region: 'local', endpoint: process.env.DYNAMODB_ENDPOINT });
  const { tierPlans, unthrottled } = await deployTiers(fake, documents, api.tableName);
  const config = workerConfig(api.tableName);
  const clock = () => new Date(now);
  const worker = createKeyWorker(
    { ...createObservability(config), config, documents, clock },
    { gateway: fakeGateway(), pacing },
  );
  const queued = new QueuedKeyChanges(localClient(SQSClient), QUEUE_URL, () => new Date());
  const usageKeys = new PublishedUsageKeys(documents, api.tableName);
  api.limits.use(queued, usageKeys);
  return {
    fake,
    queue,
    usageKeys,
    unthrottled: unthrottled.value,
    async drain() {
      for (;;) {
        if (await queue.deliver(worker, () => lambdaContext(() => now))) continue;
        if (queue.nextVisibleAt === undefined) return;
        now = Math.max(now, queue.nextVisibleAt);
      }
    },
    reconcile: (apply) =>
      reconcileRateLimits(
        {
          documents,
          tableName: api.tableName,
          gateway: fakeGateway(),
          pacer: new Pacer({ callsPerSecond: 1, ...pacing }),
          stage: API,
          tierPlans,
          queue: queued,
          clock,
          orphanGraceSeconds: 0,
        },
        { apply },
      ),
  };
}

/** Back to the local rate limiter, and the fakes gone. */
export function leaveAws(api: SecurityService, world: AwsWorld | undefined): void {
  api.limits.use(api.local, api.local);
  world?.fake.restore();
  world?.queue.restore();
}
