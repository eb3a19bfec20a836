import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LIFECYCLE_INDEXES, TTL_ATTRIBUTE } from './keys.js';

/** The table's key schema, shared by the CDK stack and the local runtime. */
export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/**
 * The lifecycle indexes as the CDK stack and the local runtime both create them. Each
 * projects what the job needs to act without reading the token, and nothing that changes
 * often (`lastUsedAt` is left out, so a use never rewrites an index entry).
 */
export const LIFECYCLE_INDEX_SPECS = [
  { ...LIFECYCLE_INDEXES.notices, projected: ['serviceAccountId', 'name', 'lookupId', 'expiresAt'] },
  { ...LIFECYCLE_INDEXES.idle, projected: ['serviceAccountId', 'name', 'lookupId', 'status'] },
] as const;

function indexDefinitions() {
  return LIFECYCLE_INDEX_SPECS.map((index) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projected] },
  }));
}

const INDEX_ATTRIBUTES = [...new Set(LIFECYCLE_INDEX_SPECS.flatMap((index) => [index.partitionKey, index.sortKey]))].map((name) => ({
  AttributeName: name,
  AttributeType: 'S' as const,
}));

/** Creates the table if it is missing (local runtime and tests; the stack owns it in AWS). */
export async function ensureTable(client: DynamoDBClient | DynamoDBDocumentClient, tableName: string): Promise<void> {
  try {
    await (client as DynamoDBClient).send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
          ...INDEX_ATTRIBUTES,
        ],
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        // Audit events leave the table through its stream (shared/events/forward.ts).
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
        GlobalSecondaryIndexes: indexDefinitions(),
      }),
    );
    // DynamoDB Local accepts the TTL setting but never deletes by it; expiry is enforced in code.
    await (client as DynamoDBClient).send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException) && (error as { name?: string }).name !== 'ResourceInUseException') throw error;
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const { Table } = await (client as DynamoDBClient).send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') {
      // A table made before the lifecycle indexes (data kept under .local/ by npm start):
      // one index at a time, as DynamoDB allows, each waited for until it can be queried.
      const missing = indexDefinitions().find((index) => !Table.GlobalSecondaryIndexes?.some((existing) => existing.IndexName === index.IndexName));
      if (missing) {
        await (client as DynamoDBClient).send(
          new UpdateTableCommand({ TableName: tableName, AttributeDefinitions: INDEX_ATTRIBUTES, GlobalSecondaryIndexUpdates: [{ Create: missing }] }),
        );
        continue;
      }
      if (Table.GlobalSecondaryIndexes?.some((index) => index.IndexStatus !== 'ACTIVE')) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      // A table made before events had no stream (data kept under .local/ by npm start).
      if (Table.StreamSpecification?.StreamEnabled) return;
      await (client as DynamoDBClient).send(
        new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } }),
      );
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE`);
}
