import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../kernel/config.js';
import type { Clock } from '../kernel/ports.js';
import { logContext, type Observability } from '../http/observability.js';
import type { ApiGateway } from './api-gateway.mjs';
import { apiGatewayKeys } from './aws-keys.js';
import { DynamoKeyOwners } from './key-owners.js';
import { parseKeyWork } from './key-queue.js';
import { type KeyOwners, type KeyWorkerParts, syncKey } from './key-worker.js';
import { Pacer, type PacerOptions } from './pacer.js';
import { PublishedUsageKeys } from './usage-keys.js';

/** What the key worker and reconcile use. */
export type KeyWorkerDeps = Observability & { config: Config; documents: DynamoDBDocumentClient; clock: Clock };

/** Time kept back at the end of an invocation: no call starts that could not finish within it. */
const RESERVE_MS = 10_000;

/**
 * The key worker: the one consumer of the FIFO queue's one message group, so one batch
 * at a time, in order. Each message brings one owner's key in step (`syncKey`), paced
 * within the configured share of the account's control-plane quota. As SQS asks of a FIFO
 * consumer (ReportBatchItemFailures), it stops at the first failure and hands back the rest
 * in order; SQS delivers them again after the visibility timeout, and after five receives
 * moves them to the dead-letter queue, which an alarm watches.
 */
export function createKeyWorker(
  deps: KeyWorkerDeps,
  options: { gateway?: ApiGateway; owners?: KeyOwners; pacing?: Omit<PacerOptions, 'callsPerSecond'> } = {},
) {
  const { config, logger, clock } = deps;
  const settings = config.apiGateway;
  if (!settings) throw new Error('REST_API_ID and API_STAGE must be set for the key worker');
  const pacer = new Pacer({
    callsPerSecond: settings.keyCallsPerSecond,
    now: () => clock().getTime(),
    ...options.pacing,
  });
  let worker: KeyWorkerParts | undefined;
  // API Gateway's SDK (a file of its own, about the size of the rest of the bundle) is
  // loaded with the first batch, not at init: that batch pays for it, once per container.
  const ready = async (): Promise<KeyWorkerParts> => ({
    owners: options.owners ?? new DynamoKeyOwners(deps.documents, config.tableName),
    gateway: await apiGatewayKeys({
      gateway: options.gateway ?? new (await import('./api-gateway.mjs')).ApiGateway({ region: config.region }),
      pacer,
      stage: settings,
      tierPlans: await new PublishedUsageKeys(deps.documents, config.tableName).tierPlans(settings.tierPlans),
      warmupMs: settings.keyWarmupSeconds * 1000,
    }),
    clock,
  });
  return middy<SQSEvent, SQSBatchResponse>()
    .use(logContext(logger))
    .handler(async (event: SQSEvent, context: Context) => {
      // A failure here fails the whole batch, which SQS delivers again.
      worker ??= await ready();
      pacer.until = clock().getTime() + context.getRemainingTimeInMillis() - RESERVE_MS;
      const unfinished: string[] = [];
      for (const { messageId, body } of event.Records) {
        if (unfinished.length > 0 || clock().getTime() >= pacer.until) {
          unfinished.push(messageId);
          continue;
        }
        try {
          await syncKey(worker, parseKeyWork(body));
        } catch (error) {
          // Names and ids only: never a key value.
          const { name = 'Error', message } = error as { name?: string; message?: string };
          logger.error('Key work failed; the queue delivers it again', { messageId, error: name, message });
          unfinished.push(messageId);
        }
      }
      return { batchItemFailures: unfinished.map((itemIdentifier) => ({ itemIdentifier })) };
    });
}
