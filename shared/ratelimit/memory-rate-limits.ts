import type { KeyOwner, RateLimits } from '../tokens/ports.js';
import type { KeyWork } from './key-worker.js';

/**
 * The key worker's queue in memory, for the use cases in the fast test tier: the messages
 * sent, in order. Set `failing` to make a send fail, as a queue that cannot be reached does.
 */
export class MemoryRateLimits implements RateLimits {
  readonly changes: KeyWork[] = [];
  failing: Error | undefined;

  async keyChanged(owner: KeyOwner, deletedKeyId?: string): Promise<void> {
    if (this.failing) throw this.failing;
    this.changes.push({ owner, ...(deletedKeyId === undefined ? {} : { deletedKeyId }) });
  }
}
