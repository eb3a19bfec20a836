import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import { type EventPublisher, forwardRecords, type StreamRecordLike } from '../../shared/audit/forward.js';

/**
 * `npm start`'s subscriber: the forwarder the stack runs on the table's stream, fed here
 * by polling DynamoDB Local's stream, appending each audit event to a JSON Lines file
 * (`.local/events.jsonl`), so that subscribers can be built against it. Where it got to
 * is kept beside the file, so a restart neither loses nor repeats events.
 */

export function filePublisher(file: string): EventPublisher {
  return {
    async publish(events) {
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, events.map((event) => `${JSON.stringify(event)}\n`).join(''));
    },
  };
}

type Attribute = Record<string, unknown>;

/**
 * An empty map (an event's `changes` when nothing changed, as on an expiry notice) comes
 * out of DynamoDB Local's stream, as the SDK reads it, as `{}` instead of `{ M: {} }`, which
 * `unmarshall` refuses; the Lambda trigger in AWS receives `{ M: {} }`. Our items hold no
 * other empty container, so an empty value is put back as the empty map it was.
 */
export function restoreEmptyMaps(image: Record<string, Attribute>): Record<string, Attribute> {
  const fix = (value: Attribute): Attribute => {
    if (Object.keys(value).length === 0) return { M: {} };
    if (value.M) return { M: restoreEmptyMaps(value.M as Record<string, Attribute>) };
    if (Array.isArray(value.L)) return { L: (value.L as Attribute[]).map(fix) };
    return value;
  };
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, fix(value)]));
}

export interface EventTailer {
  /** Resolves once everything the stream held when called has been forwarded. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

type Checkpoint = Record<string, string>;

export async function startEventTailer(options: {
  endpoint: string;
  region: string;
  tableName: string;
  file: string;
  intervalMs?: number;
}): Promise<EventTailer> {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamodb = new DynamoDBClient({ endpoint: options.endpoint, region: options.region, credentials });
  const streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: options.region, credentials });
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table ${options.tableName} has no stream`);
  const checkpointFile = `${options.file}.checkpoint.json`;
  let checkpoint: Checkpoint = {};
  try {
    checkpoint = JSON.parse(readFileSync(checkpointFile, 'utf8')) as Checkpoint;
  } catch {
    // First run: from the start of the stream.
  }
  const publisher = filePublisher(options.file);
  const iterators = new Map<string, string | undefined>();

  async function pass(): Promise<void> {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId!;
      if (iterators.has(shardId) && iterators.get(shardId) === undefined) continue; // closed and read to its end
      let iterator = iterators.get(shardId);
      if (iterator === undefined) {
        const after = checkpoint[shardId];
        ({ ShardIterator: iterator } = await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ...(after
              ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
              : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        ));
      }
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        const records: _Record[] = page.Records ?? [];
        if (records.length > 0) {
          const restored = records.map((record) =>
            record.dynamodb?.NewImage
              ? {
                  ...record,
                  dynamodb: {
                    ...record.dynamodb,
                    NewImage: restoreEmptyMaps(record.dynamodb.NewImage as unknown as Record<string, Attribute>),
                  },
                }
              : record,
          );
          await forwardRecords(restored as StreamRecordLike[], publisher);
          checkpoint[shardId] = records[records.length - 1]!.dynamodb!.SequenceNumber!;
          writeFileSync(checkpointFile, JSON.stringify(checkpoint));
        }
        iterator = page.NextShardIterator;
        if (records.length === 0) break;
      }
      iterators.set(shardId, iterator);
    }
  }

  // One pass at a time: the poll and a drain must not read the same records twice.
  let chain: Promise<void> = Promise.resolve();
  const runPass = () => {
    chain = chain.then(pass).catch((error: unknown) => {
      process.stderr.write(`event tailer: ${(error as Error).message}\n`);
    });
    return chain;
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      await runPass();
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 300));
    }
  })();
  return {
    drain: runPass,
    async stop() {
      running = false;
      await loop;
      dynamodb.destroy();
      streams.destroy();
    },
  };
}
