import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TokenCredential, TokenEvent } from '../kernel/model.js';
import { eventPut } from '../dynamodb/event-items.js';
import { absent, all, either, equals, exists, lessThan, updateExpression } from '../dynamodb/expressions.js';
import { accountPartition, keys, prefixes, utcDay } from '../dynamodb/keys.js';
import { transact } from '../dynamodb/transactions.js';

/**
 * The token store's bookkeeping, apart from the changes owners make: recording use (on
 * the authorizer's path, never failing a call), the reuse of a replaced secret, and the
 * recount of an account's tokens.
 */

interface Table {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/**
 * Records use of a token at most once per interval: `lastUsedAt`, and with the replaced
 * secret also `previousSecret.lastUsedAt`, on both items in one transaction. The
 * condition on the credential makes concurrent requests of one token write once per
 * interval, however many there are. Losing that race, or a transient failure, only costs
 * one timestamp: it never refuses a valid call.
 */
export async function recordUse(
  { client, tableName }: Table,
  credential: TokenCredential,
  now: Date,
  intervalSeconds: number,
  secret: 'current' | 'previous',
): Promise<boolean> {
  const cutoff = new Date(now.getTime() - intervalSeconds * 1000).toISOString();
  const last = secret === 'previous' ? (credential.previousSecret?.lastUsedAt ?? null) : credential.lastUsedAt;
  if (last !== null && last > cutoff) return false;
  const at = now.toISOString();
  const field = secret === 'previous' ? 'previousSecret.lastUsedAt' : 'lastUsedAt';
  const set = secret === 'previous' ? { lastUsedAt: at, [field]: at } : { lastUsedAt: at };
  try {
    await transact(client, [
      [
        'credential',
        {
          Update: {
            TableName: tableName,
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
            TableName: tableName,
            Key: keys.token(credential.serviceAccountId, credential.name),
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
export async function recordReuse(
  { client, tableName }: Table,
  credential: TokenCredential,
  event: TokenEvent,
  intervalSeconds: number,
  retentionDays: number,
): Promise<boolean> {
  const cutoff = new Date(Date.parse(event.time) - intervalSeconds * 1000).toISOString();
  if (credential.reuseReportedAt !== undefined && credential.reuseReportedAt > cutoff) return false;
  try {
    await transact(client, [
      [
        'credential',
        {
          Update: {
            TableName: tableName,
            Key: keys.credential(credential.lookupId),
            ...updateExpression({
              set: { reuseReportedAt: event.time },
              condition: all(exists('pk'), either(absent('reuseReportedAt'), lessThan('reuseReportedAt', cutoff))),
            }),
          },
        },
      ],
      ['event', eventPut(tableName, event, retentionDays)],
    ]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Recounts an account's stored tokens and corrects its counter, only if no create or
 * delete landed since the counter was read (its `version` moves with each).
 */
export async function reconcileCount({ client, tableName }: Table, accountId: string): Promise<boolean> {
  const counter = await client.send(
    new GetCommand({ TableName: tableName, Key: keys.counter(accountId), ConsistentRead: true }),
  );
  const recorded = Number(counter.Item?.tokenCount ?? 0);
  const version = counter.Item?.version as number | undefined;
  let stored = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        // Federated tokens are not counted in the limit.
        FilterExpression: 'attribute_not_exists(federation)',
        ExpressionAttributeValues: { ':pk': accountPartition(accountId), ':prefix': prefixes.token },
        ConsistentRead: true,
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
      }),
    );
    stored += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  if (stored >= recorded) return false;
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.counter(accountId),
        ...updateExpression({ set: { tokenCount: stored }, condition: equals('version', version) }),
      }),
    );
    return true;
  } catch {
    return false;
  }
}
