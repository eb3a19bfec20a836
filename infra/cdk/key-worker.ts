import { Duration, type Stack, Validations } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';

/** The key worker's timeout: long enough for a batch of ten at a few calls a second, with backoffs. */
export const KEY_WORKER_TIMEOUT = Duration.minutes(1);

/** Receives before a message is moved to the dead-letter queue (an alarm watches it). */
const MAX_RECEIVES = 5;

/**
 * The key worker's queue: FIFO, one message group (`KEY_MESSAGE_GROUP`), so SQS hands one
 * batch at a time to one invocation, in order (Lambda's `maximumConcurrency` cannot go
 * below 2, and reserved concurrency 1 only throttles a wider poller). Deduplicated by
 * content; the visibility timeout is six times the worker's, as Lambda asks; a message
 * that fails five times goes to a FIFO dead-letter queue.
 */
export function keyWorkQueues(stack: Stack): { keys: sqs.Queue; deadLetters: sqs.Queue } {
  const common = { fifo: true, enforceSSL: true, encryption: sqs.QueueEncryption.SQS_MANAGED } as const;
  const deadLetters = new sqs.Queue(stack, 'KeyWorkDeadLetters', { ...common, retentionPeriod: Duration.days(14) });
  Validations.of(deadLetters).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'This queue is itself the dead-letter destination of the key worker’s queue.',
  });
  const keys = new sqs.Queue(stack, 'KeyWork', {
    ...common,
    contentBasedDeduplication: true,
    visibilityTimeout: Duration.seconds(KEY_WORKER_TIMEOUT.toSeconds() * 6),
    retentionPeriod: Duration.days(4),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: MAX_RECEIVES },
  });
  return { keys, deadLetters };
}

/** The queue's consumer: batches of ten (FIFO's most), reporting the messages it did not finish. */
export function keyWorkerSource(queue: sqs.IQueue): SqsEventSource {
  return new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true });
}
