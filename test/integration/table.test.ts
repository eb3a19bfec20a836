import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { type RunningDynamoDb, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { ensureTable, INDEX_SPECS, TABLE_KEYS } from '../../shared/dynamodb/table.js';

/**
 * The table as the local runtime makes it: the stack's keys, indexes and stream, and the
 * upgrade of a table kept under .local/ from before the indexes and the stream.
 */
const client = new DynamoDBClient({
  endpoint: process.env.DYNAMODB_ENDPOINT,
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
afterAll(() => client.destroy());

const describeTable = async (name: string) => (await client.send(new DescribeTableCommand({ TableName: name }))).Table!;
const indexNames = INDEX_SPECS.map((index) => index.name).sort();

describe('ensureTable', () => {
  it('makes the table with the lifecycle indexes and a stream of new images, by default', async () => {
    const name = `tbl-${randomUUID()}`;
    await ensureTable(client, name);
    const table = await describeTable(name);
    expect(table.TableStatus).toBe('ACTIVE');
    expect(table.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort()).toEqual(indexNames);
  });

  it('leaves the stream out when asked, and does not add it later', async () => {
    const name = `tbl-${randomUUID()}`;
    await ensureTable(client, name, { stream: false });
    await ensureTable(client, name, { stream: false });
    const table = await describeTable(name);
    expect(table.StreamSpecification?.StreamEnabled ?? false).toBe(false);
    expect((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort()).toEqual(indexNames);
  });
});

/**
 * `npm start` keeps its data under .local/, in a DynamoDB Local of its own: a table made
 * there by an older version is brought up to date. Run on a DynamoDB Local of its own too,
 * as it would be: on the run's shared one, busy with every other file's tables, DynamoDB
 * Local has been seen to leave a new index CREATING for over a minute.
 */
describe('ensureTable on a table kept from an older version', () => {
  let dynamodb: RunningDynamoDb | undefined;
  let own: DynamoDBClient | undefined;
  beforeAll(async () => {
    dynamodb = await startDynamoDbLocal();
    own = new DynamoDBClient({
      endpoint: dynamodb.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    own?.destroy();
    await dynamodb?.stop();
  });

  it('brings a table from before the indexes and the stream up to date', async () => {
    const name = `tbl-${randomUUID()}`;
    await own!.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
    // Items for each index to backfill: DynamoDB builds one index at a time and refuses a
    // second while the first is CREATING, so ensureTable must wait between them.
    for (let batch = 0; batch < 20; batch++) {
      const items = Array.from({ length: 25 }, (_, i) => ({
        PutRequest: {
          Item: {
            pk: { S: `SA#a${batch}` },
            sk: { S: `TOKEN#t${i}` },
            lifecycleShard: { S: String(i % 4) },
            noticeAt: { S: `2027-01-${i}` },
            activeDay: { S: `2026-12-${i}` },
          },
        },
      }));
      await own!.send(new BatchWriteItemCommand({ RequestItems: { [name]: items } }));
    }
    await ensureTable(own!, name);
    const table = (await own!.send(new DescribeTableCommand({ TableName: name }))).Table!;
    expect(table.StreamSpecification?.StreamEnabled).toBe(true);
    expect((table.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, index.IndexStatus]).sort()).toEqual(
      indexNames.map((index) => [index, 'ACTIVE']),
    );
  });
});
