import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { RateLimitCapacityReachedError } from '../kernel/errors.js';
import { absent, either, lessThan, updateExpression } from './expressions.js';
import { capacityPartition, keys } from './keys.js';

/**
 * The count of tokens and federation policies with a `maxRps` (each holds an API key of
 * its own), against the deployment's ceiling (`RATE_LIMITED_MAX`). A write that adds one
 * takes a place in the same transaction, conditional on room, so the ceiling holds
 * however many writes race; the item keeps the shard it took (`capacityShard`), and the
 * write that removes it or its limit gives the place back.
 *
 * The count is split in shards, each holding its share of the ceiling: DynamoDB cancels a
 * transaction that meets another on the same item, and a single counter would be in
 * every limited create. A full shard sends the write to one that a read shows has room.
 */
export const CAPACITY_SHARDS = 8;

/** A shard's share of the ceiling: the shares add up to it exactly. */
export const shardRoom = (ceiling: number, shard: number): number =>
  Math.floor(ceiling / CAPACITY_SHARDS) + (shard < ceiling % CAPACITY_SHARDS ? 1 : 0);

/**
 * A transaction item taking a place in `shard`; its condition fails when the shard is full.
 * `version` moves with every change, so a recount can tell that nothing changed under it.
 */
export function takePlace(TableName: string, shard: number, ceiling: number) {
  const room = shardRoom(ceiling, shard);
  // A shard without a share (a ceiling under CAPACITY_SHARDS) is full even before its first write.
  const condition = room > 0 ? either(absent('count'), lessThan('count', room)) : lessThan('count', 0);
  const update = updateExpression({ add: { count: 1, version: 1 }, condition });
  return { Update: { TableName, Key: keys.capacityShard(shard), ...update } };
}

/** A transaction item giving a place in `shard` back. */
export function givePlace(TableName: string, shard: number) {
  const update = updateExpression({ add: { count: -1, version: 1 } });
  return { Update: { TableName, Key: keys.capacityShard(shard), ...update } };
}

/** Thrown by a write whose shard was full: `withPlace` tries another. */
export class ShardFull extends Error {
  override name = 'ShardFull';
}

export interface CapacityTable {
  client: DynamoDBDocumentClient;
  tableName: string;
  ceiling: number;
}

/** Every shard's count and version, as stored (a shard never written counts 0). */
export async function shardCounts(
  table: Omit<CapacityTable, 'ceiling'>,
): Promise<{ count: number; version?: number }[]> {
  const { Items } = await table.client.send(
    new QueryCommand({
      TableName: table.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': capacityPartition },
      ConsistentRead: true,
    }),
  );
  const counts = Array.from({ length: CAPACITY_SHARDS }, () => ({ count: 0 }) as { count: number; version?: number });
  for (const item of Items ?? []) {
    const shard = Number(String(item.sk).replace('SHARD#', ''));
    if (counts[shard]) counts[shard] = { count: Number(item.count ?? 0), version: Number(item.version ?? 0) };
  }
  return counts;
}

/**
 * Runs a write that takes a place: in a random shard first, then, when that one was full,
 * in one a read shows room in. At the ceiling it is RateLimitCapacityReachedError, and
 * nothing was written (the write was one transaction, cancelled whole).
 */
export async function withPlace<T>(
  table: CapacityTable,
  write: (shard: number) => Promise<T>,
  random: () => number = Math.random,
): Promise<T> {
  let shard = Math.floor(random() * CAPACITY_SHARDS);
  for (let attempt = 1; ; attempt++) {
    try {
      return await write(shard);
    } catch (error) {
      if (!(error instanceof ShardFull)) throw error;
      const counts = attempt < 3 ? await shardCounts(table) : [];
      const open = counts.flatMap(({ count }, i) => (count < shardRoom(table.ceiling, i) ? [i] : []));
      if (open.length === 0) throw new RateLimitCapacityReachedError(table.ceiling);
      shard = open[Math.floor(random() * open.length)]!;
    }
  }
}
