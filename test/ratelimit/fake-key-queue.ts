import { createHash } from 'node:crypto';
import { SendMessageCommand, type SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

export interface QueuedMessage {
  messageId: string;
  body: string;
  groupId: string;
  receiveCount: number;
  visibleAt: number;
}

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/**
 * The key worker's FIFO queue, in memory, behind the SQS client's `send` (every client,
 * until `restore`), as AWS documents it for one message group: messages in the order
 * sent; one batch (up to 10) in flight at a time; the messages a consumer reports as
 * failed go back to the head, visible again after the visibility timeout, and block the
 * group until then; after `maxReceives` receives a message moves to the dead letters;
 * a body sent again within 5 minutes is a duplicate (content-based deduplication).
 */
export class FakeKeyQueue {
  readonly messages: QueuedMessage[] = [];
  readonly deadLetters: QueuedMessage[] = [];
  readonly sent: QueuedMessage[] = [];
  visibilityMs = 360_000;
  maxReceives = 5;
  /** Sends to refuse (SQS unavailable), the next ones first. */
  failSends = 0;
  /** Told of every send (a test attributes it to the function that sent it). */
  onSend: (() => void) | undefined;
  private inFlight: QueuedMessage[] | undefined;
  private readonly deduplicated = new Map<string, number>();
  private sequence = 0;
  private readonly ownSend = Object.getOwnPropertyDescriptor(SQSClient.prototype, 'send');

  constructor(private readonly now: () => number = Date.now) {
    const queue = this;
    SQSClient.prototype.send = function send(command: unknown) {
      if (!(command instanceof SendMessageCommand)) return Promise.reject(new Error('The fake queue only sends'));
      return Promise.resolve(queue.send(command.input));
    } as unknown as typeof SQSClient.prototype.send;
  }

  private send(input: SendMessageCommandInput): { MessageId: string } {
    if (!input.MessageGroupId) throw new Error('A FIFO queue needs a MessageGroupId');
    this.onSend?.();
    if (this.failSends > 0) {
      this.failSends -= 1;
      throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $metadata: {} });
    }
    const digest = createHash('sha256')
      .update(input.MessageBody ?? '')
      .digest('hex');
    const at = this.now();
    const seen = this.deduplicated.get(digest);
    if (seen !== undefined && at - seen < 300_000) return { MessageId: `duplicate-of-${digest.slice(0, 8)}` };
    this.deduplicated.set(digest, at);
    const message = {
      messageId: `m${++this.sequence}`,
      body: input.MessageBody ?? '',
      groupId: input.MessageGroupId,
      receiveCount: 0,
      visibleAt: at,
    };
    this.messages.push(message);
    this.sent.push(message);
    return { MessageId: message.messageId };
  }

  /** Messages waiting or in flight. */
  get depth(): number {
    return this.messages.length + (this.inFlight?.length ?? 0);
  }

  /** When the head of the group is visible again (undefined: nothing waits, or a batch is in flight). */
  get nextVisibleAt(): number | undefined {
    return this.inFlight ? undefined : this.messages[0]?.visibleAt;
  }

  /** The next batch for the consumer, if the group is free and its head visible. */
  receive(): SQSEvent | undefined {
    const head = this.messages[0];
    if (this.inFlight || !head || head.visibleAt > this.now()) return undefined;
    const batch = this.messages.splice(0, 10);
    for (const message of batch) message.receiveCount += 1;
    this.inFlight = batch;
    return {
      Records: batch.map((message) => ({
        messageId: message.messageId,
        receiptHandle: message.messageId,
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: '0',
          SenderId: 'fake',
          ApproximateFirstReceiveTimestamp: '0',
          MessageGroupId: message.groupId,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:local:000000000000:KeyWork.fifo',
        awsRegion: 'local',
      })),
    };
  }

  /** What the consumer answered: the rest of the batch is deleted; a thrown error fails the whole batch. */
  settle(response: SQSBatchResponse | undefined, threw = false): void {
    const batch = this.inFlight ?? [];
    this.inFlight = undefined;
    const failedIds = new Set(
      threw ? batch.map((m) => m.messageId) : (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier),
    );
    const failed = batch.filter((message) => failedIds.has(message.messageId));
    const back = failed.filter((message) => message.receiveCount < this.maxReceives);
    this.deadLetters.push(...failed.filter((message) => message.receiveCount >= this.maxReceives));
    for (const message of back) message.visibleAt = this.now() + this.visibilityMs;
    this.messages.unshift(...back);
  }

  /** Invokes `handler` with one batch, as Lambda's event source mapping would; false when none was ready. */
  async deliver(handler: Handler, context: () => Context): Promise<boolean> {
    const event = this.receive();
    if (!event) return false;
    try {
      this.settle(await handler(event, context()));
    } catch {
      this.settle(undefined, true);
    }
    return true;
  }

  restore(): void {
    if (this.ownSend) Object.defineProperty(SQSClient.prototype, 'send', this.ownSend);
    else delete (SQSClient.prototype as { send?: unknown }).send;
  }
}

/** A Lambda context whose remaining time runs on `now` from the moment it is made. */
export function lambdaContext(now: () => number, timeoutMs = 60_000): Context {
  const started = now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'key-worker',
    functionVersion: '1',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:key-worker',
    memoryLimitInMB: '512',
    awsRequestId: `r-${started}`,
    logGroupName: 'key-worker',
    logStreamName: 'key-worker',
    getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
