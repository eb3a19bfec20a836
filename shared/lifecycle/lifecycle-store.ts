import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DueNotice, IdleToken, LifecycleReads, TokenLifecycle } from './ports.js';
import { eventPut } from '../dynamodb/event-items.js';
import { absent, all, atMost, differs, equals, exists, lessThan, updateExpression } from '../dynamodb/expressions.js';
import { keys, LIFECYCLE_INDEXES, lifecycleShards } from '../dynamodb/keys.js';
import { transact, TransactionCancelled } from '../dynamodb/transactions.js';
import type { TokenEvent } from '../kernel/events.js';
import type { TokenSuspension } from '../kernel/model.js';

type Index = (typeof LIFECYCLE_INDEXES)[keyof typeof LIFECYCLE_INDEXES];

/**
 * The lifecycle job's side of the table: it reads only the sparse indexes (one query per
 * shard, plus a page per thousand or so tokens due), and each token due for the
 * incarnation of its account (the trail its event goes to, which the indexes do not
 * hold), and writes each change with its event in one transaction, conditional on the
 * token being as the index showed it. Index reads are eventually consistent (the only kind
 * a global index has): a token read stale fails the condition and is left for the next run.
 */
export class DynamoTokenLifecycle implements TokenLifecycle {
  readonly reads: LifecycleReads = { queries: 0, items: 0, capacityUnits: 0 };

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly auditRetentionDays: number,
  ) {}

  /** Every entry of the index whose sort key is `comparison` `value`, shard by shard. */
  private async *query(index: Index, comparison: '<' | '<=', value: string): AsyncIterable<Record<string, unknown>> {
    for (const shard of lifecycleShards()) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index.name,
            KeyConditionExpression: `#shard = :shard AND #sort ${comparison} :bound`,
            ExpressionAttributeNames: { '#shard': index.partitionKey, '#sort': index.sortKey },
            ExpressionAttributeValues: { ':shard': shard, ':bound': value },
            ReturnConsumedCapacity: 'TOTAL',
            ExclusiveStartKey: startKey,
          }),
        );
        this.reads.queries += 1;
        this.reads.items += page.Items?.length ?? 0;
        this.reads.capacityUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
        yield* page.Items ?? [];
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
  }

  /**
   * The incarnation a token was created in, read from the token itself (strongly): its
   * event belongs to that trail. A token gone or replaced meanwhile fails the write's
   * condition on its lookup id anyway.
   */
  private async incarnationOf(item: Record<string, unknown>): Promise<{ incarnation?: string }> {
    const { Item: token } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.token(String(item.serviceAccountId), String(item.name)),
        ProjectionExpression: 'lookupId, incarnation',
        ConsistentRead: true,
      }),
    );
    const same = token !== undefined && token.lookupId === item.lookupId;
    return same && typeof token.incarnation === 'string' ? { incarnation: token.incarnation } : {};
  }

  /** The token an index entry names, with its incarnation. */
  private async tokenOf(item: Record<string, unknown>) {
    const incarnation = await this.incarnationOf(item);
    return {
      serviceAccountId: String(item.serviceAccountId),
      name: String(item.name),
      lookupId: String(item.lookupId),
      ...incarnation,
    };
  }

  async *dueNotices(now: Date): AsyncIterable<DueNotice> {
    for await (const item of this.query(LIFECYCLE_INDEXES.notices, '<=', now.toISOString())) {
      yield { ...(await this.tokenOf(item)), expiresAt: String(item.expiresAt), noticeAt: String(item.noticeAt) };
    }
  }

  async *idleTokens(beforeDay: string): AsyncIterable<IdleToken> {
    for await (const item of this.query(LIFECYCLE_INDEXES.idle, '<', beforeDay)) {
      yield {
        ...(await this.tokenOf(item)),
        status: item.status as IdleToken['status'],
        activeDay: String(item.activeDay),
      };
    }
  }

  async recordNotice(due: DueNotice, next: string | undefined, event: TokenEvent): Promise<boolean> {
    // The expiry itself is the last notice: the token leaves both indexes, as an expired
    // token can be neither used nor suspended.
    const update = next === undefined ? { remove: ['noticeAt', 'activeDay'] } : { set: { noticeAt: next } };
    return this.once([
      ['event', eventPut(this.tableName, event, this.auditRetentionDays)],
      [
        'token',
        {
          Update: {
            TableName: this.tableName,
            Key: keys.token(due.serviceAccountId, due.name),
            ...updateExpression({
              ...update,
              condition: all(equals('lookupId', due.lookupId), equals('noticeAt', due.noticeAt)),
            }),
          },
        },
      ],
    ]);
  }

  async suspendIdle(token: IdleToken, beforeDay: string, at: string, event: TokenEvent): Promise<boolean> {
    const set = { status: 'SUSPENDED', updatedAt: at };
    return this.once([
      ['event', eventPut(this.tableName, event, this.auditRetentionDays)],
      [
        'token',
        {
          Update: {
            TableName: this.tableName,
            Key: keys.token(token.serviceAccountId, token.name),
            // Still active, still unused since before the cutoff, and usable (not half created).
            ...updateExpression({
              set: { ...set, suspension: unusedSuspension(at, event) },
              remove: ['activeDay'],
              condition: all(
                equals('lookupId', token.lookupId),
                equals('status', 'ACTIVE'),
                lessThan('activeDay', beforeDay),
                absent('pendingSince'),
              ),
            }),
          },
        },
      ],
      [
        'credential',
        {
          Update: {
            TableName: this.tableName,
            Key: keys.credential(token.lookupId),
            ...updateExpression({ set, condition: exists('pk') }),
          },
        },
      ],
    ]);
  }

  async forgetIdle(token: IdleToken): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.token(token.serviceAccountId, token.name),
          ...updateExpression({
            remove: ['activeDay'],
            condition: all(
              equals('lookupId', token.lookupId),
              atMost('activeDay', token.activeDay),
              differs('status', 'ACTIVE'),
            ),
          }),
        }),
      );
    } catch (error) {
      // Reactivated or used meanwhile: it belongs in the index after all.
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  /** One transaction; false when a condition did not hold (another run, or a change, got there first). */
  private async once(items: Parameters<typeof transact<'event' | 'token' | 'credential'>>[1]): Promise<boolean> {
    try {
      await transact(this.client, items);
      return true;
    } catch (error) {
      if (
        error instanceof TransactionCancelled &&
        (error.failed('token') || error.failed('credential') || error.conflicted)
      )
        return false;
      throw error instanceof TransactionCancelled ? error.cause : error;
    }
  }
}

/** Why the job suspends a token: unused for as many days as its event says. */
export function unusedSuspension(at: string, event: TokenEvent): TokenSuspension {
  const days = event.details?.unusedDays;
  return { reason: 'UNUSED', at, by: null, byToken: null, unusedDays: typeof days === 'number' ? days : null };
}
