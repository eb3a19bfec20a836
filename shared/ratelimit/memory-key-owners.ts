import { type MemoryTokenTable, same } from '../tokens/memory-token-table.js';
import type { KeyOwner } from '../tokens/ports.js';
import { BINDING_FIELDS, bindingOf } from '../tokens/token-items.js';
import type { KeyOwners } from './key-worker.js';

/**
 * The key worker's table side in memory, for tokens (DynamoKeyOwners' stand-in in the
 * control-plane simulation, held to it by test/support/contracts/key-owners.ts): the same
 * reads, and writes under the same conditions, checked and written in one step as a
 * transaction is. A policy's key is DynamoDB's alone: no in-memory run gives one a key.
 */
export class MemoryKeyOwners implements KeyOwners {
  constructor(private readonly table: MemoryTokenTable) {}

  async read(owner: KeyOwner) {
    const token = this.token(owner);
    // As DynamoDB's: a federated token presents its policy's key; a pending create is the upgrade's.
    if (!token || token.federation || typeof token.pendingSince === 'string') return undefined;
    return { maxRps: token.maxRps, key: bindingOf(token) };
  }

  async write(...[owner, expected, key, unlimited = false]: Parameters<KeyOwners['write']>): Promise<boolean> {
    const token = this.token(owner);
    const credential = token && this.table.credential(token.lookupId);
    if (!token || !credential || (unlimited && token.maxRps !== null)) return false;
    if (!same(token.apiKeyId, expected) || !same(credential.apiKeyId, expected)) return false;
    const bound = <T extends object>(item: T): T => {
      const next = { ...item } as Record<string, unknown>;
      for (const field of BINDING_FIELDS) {
        if (key?.[field] === undefined) delete next[field];
        else next[field] = key[field];
      }
      return next as T;
    };
    this.table.setToken(bound(token));
    this.table.setCredential(bound(credential));
    return true;
  }

  private token(owner: KeyOwner) {
    if (owner.kind !== 'token') throw new Error('MemoryKeyOwners holds tokens only');
    const token = this.table.token(owner.serviceAccountId, owner.name);
    return token?.lookupId === owner.lookupId ? token : undefined;
  }
}
