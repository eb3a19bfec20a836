import type { SQSClient } from './sqs.mjs';
import type { Config } from '../kernel/config.js';
import type { Clock } from '../kernel/ports.js';
import type { TableClients } from '../dynamodb/client.js';
import type { KeyOwner, RateLimits } from '../tokens/ports.js';
import { builtOnFirstCall } from './first-call.js';
import type { KeyWork } from './key-worker.js';

/**
 * The one message group of the key worker's FIFO queue: SQS hands a group's messages to
 * one consumer at a time, a batch after the one before, which is how the worker is
 * single (Lambda's `maximumConcurrency` cannot go below 2).
 */
const KEY_MESSAGE_GROUP = 'keys';

/**
 * The request path's side of the key worker (and reconcile's): a message per change, after
 * the table write. The queue deduplicates by content (the body carries the time of the
 * change), so the SDK's retry of a send is not a second message, and a change made twice is two.
 */
export class QueuedKeyChanges implements RateLimits {
  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    private readonly queueUrl: string,
    private readonly clock: Clock,
  ) {}

  keyChanged(owner: KeyOwner, deletedKeyId?: string): Promise<void> {
    return this.send({ owner, ...(deletedKeyId === undefined ? {} : { deletedKeyId }) });
  }

  async send(work: KeyWork): Promise<void> {
    const MessageBody = JSON.stringify({ ...work, at: this.clock().toISOString() });
    const { SendMessageCommand } = await import('./sqs.mjs');
    await this.sqs.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageGroupId: KEY_MESSAGE_GROUP, MessageBody }),
    );
  }
}

/**
 * The wiring of the functions that change tokens and policies (create, update, delete, the
 * directory import): in AWS their changes go to the key worker's queue. They carry no API
 * Gateway client: nothing on the request path calls API Gateway's control plane. The SQS
 * SDK is loaded, and its client built, by the first change a container queues, not at
 * init (a change to a token or policy without a limit, or key, queues nothing).
 */
export const keyQueue = (config: Config, _clients: TableClients): { rateLimits?: RateLimits } => {
  const url = config.apiGateway?.keyQueueUrl;
  return url ? { rateLimits: new QueuedKeyChanges(sqsOnFirstCall(config.region), url, () => new Date()) } : {};
};

/** An SQS client whose SDK file is loaded, and the client built, by its first send. */
export const sqsOnFirstCall = (region: string) =>
  builtOnFirstCall(async () => new (await import('./sqs.mjs')).SQSClient({ region }));

const text = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** A message's work; a body that is not one of ours throws (the message goes to the dead-letter queue). */
export function parseKeyWork(body: string): KeyWork {
  const parsed = JSON.parse(body) as { owner?: Record<string, unknown>; deletedKeyId?: unknown; recheck?: unknown };
  const { owner: o, deletedKeyId, recheck } = parsed;
  const owner: KeyOwner | undefined =
    o?.kind === 'token' && text(o.serviceAccountId) && text(o.name) && text(o.lookupId)
      ? { kind: 'token', serviceAccountId: o.serviceAccountId, name: o.name, lookupId: o.lookupId }
      : o?.kind === 'policy' && text(o.serviceAccountId) && text(o.policyId)
        ? { kind: 'policy', serviceAccountId: o.serviceAccountId, policyId: o.policyId }
        : undefined;
  if (o !== undefined && !owner) throw new Error('A key message names no owner of ours');
  if (!owner && !text(deletedKeyId)) throw new Error('A key message names neither an owner nor a key');
  return { ...(owner && { owner }), ...(text(deletedKeyId) && { deletedKeyId }), ...(recheck === true && { recheck }) };
}
