import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { nextNoticeAt } from './notices.js';
import { absent, all, equals, updateExpression } from '../dynamodb/expressions.js';
import { keys, lifecycleShard, prefixes, utcDay } from '../dynamodb/keys.js';

/**
 * Brings tokens stored before the lifecycle indexes into them, once: an operator's pass
 * (`npm run lifecycle -- --backfill`), never the hourly job, which has no right to scan.
 * Each token gets its shard, its next notice after `now` (notices whose time has passed
 * are not sent late) and, while active, its idle count from its last use (or creation).
 * Federated tokens stay out, as they do when issued (see `lifecycleFields`).
 * Every write is conditional on the token being as scanned and not yet brought in, so a
 * second pass, or one racing a change, changes nothing twice.
 */
export async function backfillLifecycle(client: DynamoDBDocumentClient, tableName: string, now: Date): Promise<number> {
  let updated = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression:
          'begins_with(pk, :account) AND begins_with(sk, :token) AND attribute_not_exists(lifecycleShard) AND ' +
          'attribute_not_exists(federation)',
        ExpressionAttributeValues: { ':account': prefixes.account, ':token': prefixes.token },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const lookupId = String(item.lookupId);
      const noticeAt = nextNoticeAt((item.expiresAt as string | null | undefined) ?? null, now);
      const active = item.status === 'ACTIVE' && item.pendingSince === undefined;
      const lastActive = (item.lastUsedAt as string | null | undefined) ?? String(item.createdAt);
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.token(String(item.serviceAccountId), String(item.name)),
            ...updateExpression({
              set: {
                lifecycleShard: lifecycleShard(lookupId),
                noticeAt,
                activeDay: active ? utcDay(lastActive) : undefined,
              },
              condition: all(equals('lookupId', lookupId), absent('lifecycleShard'), equals('status', item.status)),
            }),
          }),
        );
        updated += 1;
      } catch (error) {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return updated;
}
