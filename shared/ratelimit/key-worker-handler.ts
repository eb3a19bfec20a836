import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../kernel/config.js';
import type { Clock } from '../kernel/ports.js';
import type { Observability } from '../http/observability.js';
import { ApiGateway } from './api-gateway.mjs';
import { ApiGatewayKeys } from './aws-keys.js';
import { DynamoKeyOwners } from './key-owners.js';
import { parseKeyWork } from './key-queue.js';
import { type KeyWorkerParts, syncKey } from './key-worker.js';
import { Pacer, type PacerOptions } from './pacer.js';
import { PublishedUsageKeys } from './usage-keys.js';

/** What the key worker uses. */
export type KeyWorkerDeps = Observability & { config: Config; documents: DynamoDBDocumentClient; clock: Clock };

/** Time kept back at the end of an invocation: no call starts that could not finish within it. */
const RESERVE_MS = 10_000;

/**
 * The key worker: the one consumer of the FIFO queue's one message group, so one batch
 * at a time, in order. Each message brings one owner's key in step (`syncKey`), paced
 * within the configured share of the account's control-plane quota. It reports the
 * messages it did not finish (ReportBatchItemFailures): as SQS asks of a FIFO consumer,
 * it stops at the first failure and hands back the rest in order; SQS delivers them again
 * after the visibility timeout, and after five receives moves them to the dead-letter
 * queue, which an alarm watches.
 */
export function createKeyWorker(
  parts: KeyWorkerDeps,
  options: { gateway?: ApiGateway; pacing?: Omit<PacerOptions, 'callsPerSecond'> } = {},
) {
  const { config, logger, clock } = parts;
  const settings = config.apiGateway;
  if (!settings) throw new Error('REST_API_ID and API_STAGE must be set for the key worker');
  const pacer = new Pacer({
    callsPerSecond: settings.keyCallsPerSecond,
    now: () => clock().getTime(),
    ...options.pacing,
  });
  const published = new PublishedUsageKeys(parts.documents, config.tableName);
  // The tier plans: TIER_PLANS when set (a script), else as published at deploy time, read once.
  let worker: KeyWorkerParts | undefined;
  const ready = async (): Promise<KeyWorkerParts> => {
    const tierPlans = settings.tierPlans.size > 0 ? settings.tierPlans : await published.tierPlans();
    const gateway = new ApiGatewayKeys({
      gateway: options.gateway ?? ApiGateway.forRegion(config.region),
      pacer,
      stage: settings,
      tierPlans,
      warmupMs: settings.keyWarmupSeconds * 1000,
    });
    return { owners: new DynamoKeyOwners(parts.documents, config.tableName), gateway, clock };
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event: SQSEvent, context: Context) => {
      // A failure here fails the whole batch, which SQS delivers again.
      worker ??= await ready();
      pacer.until = clock().getTime() + context.getRemainingTimeInMillis() - RESERVE_MS;
      const unfinished: string[] = [];
      for (const record of event.Records) {
        if (unfinished.length > 0 || clock().getTime() >= pacer.until) {
          unfinished.push(record.messageId);
          continue;
        }
        try {
          await syncKey(worker, parseKeyWork(record.body));
        } catch (error) {
          // Names and ids only: never a key value.
          logger.error('Key work failed; the queue delivers it again', {
            messageId: record.messageId,
            error: (error as { name?: string }).name ?? 'Error',
            message: (error as { message?: string }).message,
          });
          unfinished.push(record.messageId);
        }
      }
      return { batchItemFailures: unfinished.map((itemIdentifier) => ({ itemIdentifier })) };
    });
}
