import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CredentialStore, PresentedCredential } from '../auth/ports.js';
import { retiredAfterRotation } from '../kernel/replaced-secrets.js';
import { DEFAULT_AUDIT_RETENTION_DAYS, eventPut } from '../dynamodb/event-items.js';
import {
  absent,
  all,
  atMost,
  type Condition,
  either,
  equals,
  exists,
  lessThan,
  updateExpression,
} from '../dynamodb/expressions.js';
import { keys, utcDay } from '../dynamodb/keys.js';
import { TransactionCancelled, transact } from '../dynamodb/transactions.js';
import { ConcurrentUpdateError, RotationInProgressError, TokenNotFoundError } from '../kernel/errors.js';
import type { TokenEvent } from '../kernel/events.js';
import type { TokenCredential } from '../kernel/model.js';
import type { Rotation, SecretRotation, StoredToken } from './ports.js';
import { toCredential } from './token-items.js';

/** Attempts of a rotation's writes that conflicted with another transaction, before a 409. */
const ROTATION_ATTEMPTS = 3;

/**
 * A token's credential on the table: the item under its lookup id that the authorizer
 * reads, in one `GetItem`, on every call, and the use it records there; and the rotation
 * that gives the token a new secret. Recording use never fails a call: a lost race or a
 * transient failure costs one timestamp, never a refusal.
 */
export class DynamoCredentialStore implements CredentialStore, SecretRotation {
  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly options: { auditRetentionDays?: number } = {},
  ) {}

  async getCredential(lookupId: string): Promise<PresentedCredential | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.credential(lookupId), ConsistentRead: true }),
    );
    return result.Item ? toCredential(result.Item) : undefined;
  }

  /**
   * Records use of a token at most once per interval: `lastUsedAt`, and with the replaced
   * secret also `previousSecret.lastUsedAt`, on both items in one transaction. The
   * condition on the credential makes concurrent requests of one token write once per
   * interval, however many there are.
   */
  async recordUse(
    credential: TokenCredential,
    now: Date,
    intervalSeconds: number,
    secret: 'current' | 'previous' = 'current',
  ): Promise<boolean> {
    const cutoff = new Date(now.getTime() - intervalSeconds * 1000).toISOString();
    const last = secret === 'previous' ? (credential.previousSecret?.lastUsedAt ?? null) : credential.lastUsedAt;
    if (last !== null && last > cutoff) return false;
    const at = now.toISOString();
    const field = secret === 'previous' ? 'previousSecret.lastUsedAt' : 'lastUsedAt';
    const set = secret === 'previous' ? { lastUsedAt: at, [field]: at } : { lastUsedAt: at };
    const token = keys.token(credential.serviceAccountId, credential.name);
    try {
      await transact(this.client, [
        [
          'credential',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.credential(credential.lookupId),
              // NULL or absent: never recorded yet.
              ...updateExpression({
                set,
                condition: all(exists('pk'), either(equals(field, null), lessThan(field, cutoff))),
              }),
            },
          },
        ],
        [
          'token',
          {
            Update: {
              TableName: this.tableName,
              Key: token,
              // The day of use keeps the token out of the idle job's reach. DynamoDB rewrites
              // an index entry only when its key changes, so this costs the index one write a
              // day per token in use, not one a minute.
              ...updateExpression({
                set: { ...set, activeDay: utcDay(now) },
                condition: all(equals('lookupId', credential.lookupId), equals('status', 'ACTIVE')),
              }),
            },
          },
        ],
      ]);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Records a use of a replaced secret after its grace period, with its event, at most once
   * per interval per token, whichever of its replaced secrets it was (the condition on
   * `reuseReportedAt`), and only while the token exists. Never throws: the call is refused
   * either way.
   */
  async recordReuse(credential: TokenCredential, event: TokenEvent, intervalSeconds: number): Promise<boolean> {
    const cutoff = new Date(Date.parse(event.time) - intervalSeconds * 1000).toISOString();
    if (credential.reuseReportedAt !== undefined && credential.reuseReportedAt > cutoff) return false;
    const notLately = either(absent('reuseReportedAt'), lessThan('reuseReportedAt', cutoff));
    try {
      await transact(this.client, [
        [
          'credential',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.credential(credential.lookupId),
              ...updateExpression({ set: { reuseReportedAt: event.time }, condition: all(exists('pk'), notLately) }),
            },
          },
        ],
        ['event', eventPut(this.tableName, event, this.retentionDays)],
      ]);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Gives a token read just before a new secret. The credential takes the new secret's
   * hash and keeps the old one (`previousSecretHash`, copied from `secretHash` in the same
   * update), with its grace period; the secret that was previous joins the retired ones
   * (see kernel/replaced-secrets.ts); the token records who rotated it and when.
   *
   * Two versions are checked, so that of rotations sent at once exactly one hands out a
   * secret, and the grace period its caller asked for goes to the secret it replaced: the
   * token must not have been rotated since the request arrived (`requestedAt`: a request
   * that read after another rotation landed would otherwise replace that one's new secret
   * too), and the credential's current secret must still be the one read here (a secret
   * is 256 random bits: it never comes back, so no other rotation can look like none). The
   * losers change nothing. Unless forced, a rotation must find no earlier grace period
   * still running.
   */
  async rotate(current: StoredToken, rotation: Rotation, event: TokenEvent): Promise<StoredToken> {
    const credential = await this.getCredential(current.lookupId);
    if (!credential) throw new TokenNotFoundError();
    const settled: Condition[] = rotation.force
      ? []
      : [either(equals('previousSecret', null), atMost('previousSecret.validUntil', rotation.rotatedAt))];
    const retired = retiredAfterRotation(credential, rotation.rotatedAt);
    const tokenSet = { rotatedAt: rotation.rotatedAt, rotatedBy: rotation.rotatedBy, updatedAt: rotation.rotatedAt };
    const notRotatedSince = either(equals('rotatedAt', null), atMost('rotatedAt', rotation.requestedAt));
    const items = [
      ['event', eventPut(this.tableName, event, this.retentionDays)],
      [
        'token',
        {
          Update: {
            TableName: this.tableName,
            Key: keys.token(current.serviceAccountId, current.name),
            ...updateExpression({
              set: { ...tokenSet, previousSecret: rotation.previous },
              condition: all(equals('lookupId', current.lookupId), absent('pendingSince'), notRotatedSince, ...settled),
            }),
          },
        },
      ],
      [
        'credential',
        {
          Update: {
            TableName: this.tableName,
            Key: keys.credential(current.lookupId),
            ...updateExpression({
              set: {
                secretHash: rotation.secretHash,
                previousSecret: rotation.previous,
                retiredSecrets: retired.length > 0 ? retired : undefined,
              },
              copy: { previousSecretHash: 'secretHash' },
              remove: ['reuseReportedAt', ...(retired.length > 0 ? [] : ['retiredSecrets'])],
              condition: all(equals('secretHash', credential.secretHash), ...settled),
            }),
          },
        },
      ],
    ] as const;
    for (let attempt = 1; ; attempt++) {
      try {
        await transact(this.client, items);
        return { ...current, ...tokenSet, previousSecret: rotation.previous };
      } catch (error) {
        // Cancelled only because another write held an item (real DynamoDB under load):
        // nothing was written, and the same writes, on the same read, go again. A fresh
        // read could find another rotation's secret and replace it.
        const conflictOnly = error instanceof TransactionCancelled && error.conflicted && !error.anyFailed;
        if (conflictOnly && attempt < ROTATION_ATTEMPTS) continue;
        throw await this.explainLostRotation(current, rotation, error);
      }
    }
  }

  /**
   * Why a rotation changed nothing: the token went (404), a grace period runs and the
   * rotation was not forced (409 ROTATION_IN_PROGRESS), or another rotation replaced the
   * secret first (409 CONCURRENT_UPDATE, which the use case does not retry: it would
   * replace the secret the winner handed out). The credential tells: it goes with its
   * token, and keeps the grace period in step with it.
   */
  private async explainLostRotation(current: StoredToken, rotation: Rotation, error: unknown): Promise<unknown> {
    if (!(error instanceof TransactionCancelled)) return error;
    if (!error.anyFailed) return error.conflicted ? new ConcurrentUpdateError({ cause: error }) : error.cause;
    const now = await this.getCredential(current.lookupId);
    if (!now) return new TokenNotFoundError();
    const running = rotation.force ? undefined : now.previousSecret;
    if (running && running.validUntil > rotation.rotatedAt) return new RotationInProgressError(running.validUntil);
    return new ConcurrentUpdateError({ cause: error });
  }

  private get retentionDays(): number {
    return this.options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
  }
}
