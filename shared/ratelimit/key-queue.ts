import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from '../kernel/ports.js';
import type { KeyOwner, RateLimits } from '../tokens/ports.js';
import type { KeyWork } from './key-worker.js';

/**
 * The one message group of the key worker's FIFO queue: SQS hands a group's messages to
 * one consumer at a time, a batch after the one before, which is how the worker is
 * single (Lambda's `maximumConcurrency` cannot go below 2).
 */
export const KEY_MESSAGE_GROUP = 'keys';

/**
 * The request path's side of the key worker: a message per change, after the table write.
 * The queue deduplicates by content (the body carries the time of the change), so the
 * SDK's retry of a send is not a second message, and a change made twice is two.
 */
export class QueuedKeyChanges implements RateLimits {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly clock: Clock,
  ) {}

  keyChanged(owner: KeyOwner, deletedKeyId?: string): Promise<void> {
    return this.send({ owner, ...(deletedKeyId === undefined ? {} : { deletedKeyId }) });
  }

  /** An owner whose key reconcile found gone or out of its plan: the worker asks API Gateway, not the table. */
  recheck(owner: KeyOwner): Promise<void> {
    return this.send({ owner, recheck: true });
  }

  /** A key of ours no owner holds (reconcile found it): the worker deletes it. */
  orphan(keyId: string): Promise<void> {
    return this.send({ deletedKeyId: keyId });
  }

  private async send(work: KeyWork): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageGroupId: KEY_MESSAGE_GROUP,
        MessageBody: JSON.stringify({ ...work, at: this.clock().toISOString() }),
      }),
    );
  }
}

const text = (value: unknown) => typeof value === 'string' && value !== '';

/** A message's work; a body that is not one of ours throws (the message goes to the dead-letter queue). */
export function parseKeyWork(body: string): KeyWork {
  const { owner, deletedKeyId, recheck } = JSON.parse(body) as {
    owner?: Record<string, unknown>;
    deletedKeyId?: unknown;
    recheck?: unknown;
  };
  const work: KeyWork = {
    ...(text(deletedKeyId) ? { deletedKeyId: deletedKeyId as string } : {}),
    ...(recheck === true ? { recheck: true } : {}),
  };
  if (owner === undefined) {
    if (work.deletedKeyId === undefined) throw new Error('A key message names neither an owner nor a key');
    return work;
  }
  const { kind, serviceAccountId, name, lookupId, policyId } = owner;
  if (kind === 'token' && text(serviceAccountId) && text(name) && text(lookupId))
    return { ...work, owner: { kind, serviceAccountId, name, lookupId } as KeyOwner };
  if (kind === 'policy' && text(serviceAccountId) && text(policyId))
    return { ...work, owner: { kind, serviceAccountId, policyId } as KeyOwner };
  throw new Error('A key message names no owner of ours');
}
