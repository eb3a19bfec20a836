import type { KeyOwner, RateLimits } from '../tokens/ports.js';

/** A message to the key worker, as the queue would carry it. */
export interface KeyChange {
  owner: KeyOwner;
  deletedKeyId?: string;
}

/**
 * The key worker's queue in memory, for the use cases in the fast test tier: the messages
 * sent, in order, so a test can see that a token's key is told to follow it. Set `failing`
 * to make a send fail, as a queue that cannot be reached does.
 */
export class MemoryRateLimits implements RateLimits {
  readonly changes: KeyChange[] = [];
  failing: Error | undefined;

  async keyChanged(owner: KeyOwner, deletedKeyId?: string): Promise<void> {
    if (this.failing) throw this.failing;
    this.changes.push({ owner, ...(deletedKeyId === undefined ? {} : { deletedKeyId }) });
  }
}
