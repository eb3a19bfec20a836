import type { CredentialStore, PresentedCredential } from '../auth/ports.js';
import { utcDay } from '../dynamodb/keys.js';
import { ConcurrentUpdateError, RotationInProgressError, TokenNotFoundError } from '../kernel/errors.js';
import type { TokenEvent } from '../kernel/events.js';
import { restrictionsOf } from '../kernel/restrictions.js';
import type { PreviousSecret, TokenCredential } from '../kernel/model.js';
import { retiredAfterRotation } from '../kernel/replaced-secrets.js';
import { MemoryTransactionCancelled, type MemoryTokenTable, nullOrBefore, same } from './memory-token-table.js';
import type { Rotation, SecretRotation, StoredToken } from './ports.js';

/**
 * A token's credential in memory: the fast tier's stand-in for DynamoCredentialStore,
 * with its conditions (the port-contract suite holds the two to one behaviour). Recording
 * use never throws; a rotation that loses a race changes nothing and says why.
 */
export class MemoryCredentialStore implements CredentialStore, SecretRotation {
  constructor(readonly table: MemoryTokenTable) {}

  /** As DynamoCredentialStore reads one: a credential older than restrictions has every scope, anywhere. */
  async getCredential(lookupId: string): Promise<PresentedCredential | undefined> {
    const credential = this.table.credential(lookupId);
    return credential && { ...credential, ...restrictionsOf(credential) };
  }

  async recordUse(
    credential: TokenCredential,
    now: Date,
    intervalSeconds: number,
    secret: 'current' | 'previous' = 'current',
  ): Promise<boolean> {
    const cutoff = new Date(now.getTime() - intervalSeconds * 1000).toISOString();
    const lastOf = (item: { lastUsedAt: string | null; previousSecret?: PreviousSecret | null | undefined }) =>
      secret === 'previous' ? item.previousSecret?.lastUsedAt : item.lastUsedAt;
    const last = lastOf(credential);
    if (last !== undefined && last !== null && last > cutoff) return false;
    const at = now.toISOString();
    const stored = this.table.credential(credential.lookupId);
    const token = this.table.token(credential.serviceAccountId, credential.name);
    // Like DynamoDB's `SET previousSecret.lastUsedAt`, a use of the previous secret is recorded
    // only where both items have one to record it on.
    const recordable = secret === 'current' || (!!stored?.previousSecret && !!token?.previousSecret);
    const used = <T extends { lastUsedAt: string | null; previousSecret?: PreviousSecret | null }>(item: T): T =>
      secret === 'previous' && item.previousSecret
        ? { ...item, lastUsedAt: at, previousSecret: { ...item.previousSecret, lastUsedAt: at } }
        : { ...item, lastUsedAt: at };
    try {
      this.table.transact([
        {
          name: 'credential',
          holds: recordable && stored !== undefined && nullOrBefore(lastOf(stored), cutoff),
          write: () => stored && this.table.setCredential(used(stored)),
        },
        {
          name: 'token',
          holds: same(token?.lookupId, credential.lookupId) && token?.status === 'ACTIVE',
          // The day of use keeps it out of the idle job's reach, as on DynamoDB's token item.
          write: () => {
            if (!token) return;
            this.table.setToken(used(token));
            this.table.changeLifecycle(token.serviceAccountId, token.name, { activeDay: utcDay(now) });
          },
        },
      ]);
      return true;
    } catch {
      return false;
    }
  }

  recordReuse(credential: TokenCredential, event: TokenEvent, intervalSeconds: number): Promise<boolean> {
    return this.recordRefusal('reuseReportedAt', credential, event, intervalSeconds);
  }

  recordNetworkRefusal(credential: TokenCredential, event: TokenEvent, intervalSeconds: number): Promise<boolean> {
    return this.recordRefusal('networkRefusalReportedAt', credential, event, intervalSeconds);
  }

  /** As DynamoCredentialStore's: at most once per interval per token, only while it exists. */
  private async recordRefusal(
    field: 'reuseReportedAt' | 'networkRefusalReportedAt',
    credential: TokenCredential,
    event: TokenEvent,
    intervalSeconds: number,
  ): Promise<boolean> {
    const cutoff = new Date(Date.parse(event.time) - intervalSeconds * 1000).toISOString();
    const last = credential[field];
    if (last !== undefined && last > cutoff) return false;
    const stored = this.table.credential(credential.lookupId);
    try {
      this.table.transact([
        {
          name: 'credential',
          holds: stored !== undefined && nullOrBefore(stored[field], cutoff),
          write: () => stored && this.table.setCredential({ ...stored, [field]: event.time }),
        },
        ...this.table.eventWrite(event),
      ]);
      return true;
    } catch {
      return false;
    }
  }

  /** As DynamoCredentialStore's: of rotations sent at once, exactly one hands out a secret. */
  async rotate(current: StoredToken, rotation: Rotation, event: TokenEvent): Promise<StoredToken> {
    const credential = await this.getCredential(current.lookupId);
    if (!credential) throw new TokenNotFoundError();
    const settled = (previous: PreviousSecret | null | undefined) =>
      rotation.force || previous === undefined || previous === null || previous.validUntil <= rotation.rotatedAt;
    const retired = retiredAfterRotation(credential, rotation.rotatedAt);
    const tokenSet = { rotatedAt: rotation.rotatedAt, rotatedBy: rotation.rotatedBy, updatedAt: rotation.rotatedAt };
    const token = this.table.token(current.serviceAccountId, current.name);
    const stored = this.table.credential(current.lookupId);
    const notRotatedSince =
      token?.rotatedAt === null || (!!token?.rotatedAt && token.rotatedAt <= rotation.requestedAt);
    try {
      this.table.transact([
        ...this.table.eventWrite(event),
        {
          name: 'token',
          holds:
            same(token?.lookupId, current.lookupId) &&
            token?.pendingSince === undefined &&
            notRotatedSince &&
            settled(token?.previousSecret),
          write: () => token && this.table.setToken({ ...token, ...tokenSet, previousSecret: rotation.previous }),
        },
        {
          name: 'credential',
          holds: same(stored?.secretHash, credential.secretHash) && settled(stored?.previousSecret),
          write: () => {
            if (!stored) return;
            const { reuseReportedAt: _, retiredSecrets: __, ...kept } = stored;
            this.table.setCredential({
              ...kept,
              secretHash: rotation.secretHash,
              previousSecretHash: stored.secretHash,
              previousSecret: rotation.previous,
              ...(retired.length > 0 ? { retiredSecrets: retired } : {}),
            });
          },
        },
      ]);
    } catch (error) {
      throw await this.explainLostRotation(current, rotation, error);
    }
    return { ...current, ...tokenSet, previousSecret: rotation.previous };
  }

  /** As DynamoCredentialStore's: only while the grace period and the last rotation are as read. */
  async endGracePeriod(current: StoredToken, at: string, event: TokenEvent): Promise<StoredToken> {
    const token = this.table.token(current.serviceAccountId, current.name);
    const stored = this.table.credential(current.lookupId);
    const asRead = (item: { previousSecret?: PreviousSecret | null } | undefined) =>
      (item?.previousSecret?.validUntil ?? null) === (current.previousSecret?.validUntil ?? null);
    // Its last use as stored now (a use may have been recorded since the read), its end moved.
    const ended = (previous: PreviousSecret | null | undefined): PreviousSecret => ({
      ...(previous ?? current.previousSecret!),
      validUntil: at,
    });
    try {
      this.table.transact([
        ...this.table.eventWrite(event),
        {
          name: 'token',
          holds: same(token?.lookupId, current.lookupId) && token?.rotatedAt === current.rotatedAt && asRead(token),
          write: () =>
            token && this.table.setToken({ ...token, previousSecret: ended(token.previousSecret), updatedAt: at }),
        },
        {
          name: 'credential',
          holds: stored !== undefined && asRead(stored),
          write: () => stored && this.table.setCredential({ ...stored, previousSecret: ended(stored.previousSecret) }),
        },
      ]);
    } catch (error) {
      if (!(error instanceof MemoryTransactionCancelled)) throw error;
      if (!this.table.credential(current.lookupId)) throw new TokenNotFoundError();
      throw new ConcurrentUpdateError({ cause: error });
    }
    return { ...current, previousSecret: { ...current.previousSecret!, validUntil: at }, updatedAt: at };
  }

  private async explainLostRotation(current: StoredToken, rotation: Rotation, error: unknown): Promise<unknown> {
    if (!(error instanceof MemoryTransactionCancelled)) return error;
    const now = await this.getCredential(current.lookupId);
    if (!now) return new TokenNotFoundError();
    const running = rotation.force ? undefined : now.previousSecret;
    if (running && running.validUntil > rotation.rotatedAt) return new RotationInProgressError(running.validUntil);
    return new ConcurrentUpdateError({ cause: error });
  }
}
