import type { PresentedCredential } from '../auth/ports.js';
import type { TokenEvent } from '../kernel/events.js';
import type { TokenCredential } from '../kernel/model.js';
import { restrictionsOf } from '../kernel/restrictions.js';
import { MemoryTransactionCancelled, type MemoryTokenTable, same } from '../tokens/memory-token-table.js';
import type { TokenExposures } from './ports.js';

/**
 * The suspension of exposed tokens in memory: the fast tier's stand-in for
 * DynamoTokenExposures (test/support/contracts/token-exposures.ts holds the two to one
 * behaviour). Both items and the `token.exposed` event are one all-or-nothing write, on
 * condition that the credential still holds the secrets that were matched.
 */
export class MemoryTokenExposures implements TokenExposures {
  constructor(private readonly table: MemoryTokenTable) {}

  async credentials(lookupIds: string[]): Promise<Map<string, PresentedCredential>> {
    const found = new Map<string, PresentedCredential>();
    for (const lookupId of lookupIds) {
      const credential = this.table.credential(lookupId);
      if (credential) found.set(lookupId, { ...credential, ...restrictionsOf(credential) });
    }
    return found;
  }

  async suspendExposed(credential: TokenCredential, at: string, event: TokenEvent): Promise<boolean> {
    const stored = this.table.credential(credential.lookupId);
    const token = this.table.token(credential.serviceAccountId, credential.name);
    const suspension = { reason: 'SECRET_SCANNING' as const, at, by: null, byToken: null, unusedDays: null };
    try {
      this.table.transact([
        ...this.table.eventWrite(event),
        {
          name: 'credential',
          holds:
            stored !== undefined &&
            stored.secretHash === credential.secretHash &&
            same(stored.previousSecretHash, credential.previousSecretHash),
          // What the authorizer reads of it: its status (DynamoDB's item also notes when, which nothing reads).
          write: () => stored && this.table.setCredential({ ...stored, status: 'SUSPENDED' }),
        },
        {
          name: 'token',
          holds: token !== undefined && token.lookupId === credential.lookupId,
          // The leak is why, whatever suspended it before; out of the idle index, as any suspension takes it out.
          write: () => {
            if (!token) return;
            this.table.setToken({ ...token, status: 'SUSPENDED', updatedAt: at, suspension });
            this.table.changeLifecycle(token.serviceAccountId, token.name, { activeDay: undefined });
          },
        },
      ]);
      return true;
    } catch (error) {
      if (error instanceof MemoryTransactionCancelled) return false;
      throw error;
    }
  }
}
