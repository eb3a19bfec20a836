import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LIFECYCLE_INDEXES, RATE_KEY_INDEX, TTL_ATTRIBUTE } from './keys.js';

/** The table's key schema, shared by the CDK stack and the local runtime. */
export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

interface IndexSpec {
  name: string;
  partitionKey: string;
  sortKey?: string;
  projected: readonly string[];
}

/**
 * The indexes as the CDK stack and the local runtime both create them: the lifecycle
 * job's and reconcile's. Each projects what its reader needs to act without reading the
 * item, and nothing that changes often (`lastUsedAt` is left out, so a use never
 * rewrites an index entry).
 */
export const INDEX_SPECS: readonly IndexSpec[] = [
  { ...LIFECYCLE_INDEXES.notices, projected: ['serviceAccountId', 'name', 'lookupId', 'expiresAt'] },
  { ...LIFECYCLE_INDEXES.idle, projected: ['serviceAccountId', 'name', 'lookupId', 'status'] },
  {
    ...RATE_KEY_INDEX,
    projected: ['lookupId', 'policyId', 'maxRps', 'apiKeyId', 'keyPlanId', 'keyRps', 'capacityShard'],
  },
];

function indexDefinitions() {
  return INDEX_SPECS.map((index) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
      ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' as const }] : []),
    ],
    Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projected] },
  }));
}

const INDEX_ATTRIBUTES = [
  ...new Set(INDEX_SPECS.flatMap((index) => [index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])])),
].map((name) => ({
  AttributeName: name,
  AttributeType: 'S' as const,
}));

/** The stack's stream: audit events leave the table through it (shared/audit/forward.ts). */
const STREAM = { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } as const;

export interface TableOptions {
  /**
   * Give the table its stream, as the stack does (audit events leave through it). Only
   * what reads the stream needs it: DynamoDB Local keeps every stream record in one
   * unindexed SQLite table and scans it on each write to a streamed table, so a test run
   * full of streamed tables slows with every write made before.
   * @default true
   */
  stream?: boolean;
}

/** Creates the table if it is missing (local runtime and tests; the stack owns it in AWS). */
export async function ensureTable(
  client: DynamoDBClient | DynamoDBDocumentClient,
  tableName: string,
  options: TableOptions = {},
): Promise<void> {
  const stream = options.stream ?? true;
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
        ...(stream ? { StreamSpecification: STREAM } : {}),
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
    if (!(error instanceof ResourceInUseException) && (error as { name?: string }).name !== 'ResourceInUseException')
      throw error;
  }
  // Backfilling an index of a large table kept under .local/ can take a while.
  const deadline = Date.now() + 60_000;
  let state = 'not described';
  while (Date.now() < deadline) {
    const { Table } = await (client as DynamoDBClient).send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => `${index.IndexName} ${index.IndexStatus}`);
    const streaming = Boolean(Table?.StreamSpecification?.StreamEnabled);
    state = `table ${Table?.TableStatus}, indexes ${JSON.stringify(indexes)}, stream ${streaming}`;
    if (Table?.TableStatus === 'ACTIVE') {
      // A table made before an index (data kept under .local/ by npm start):
      // one index at a time, as DynamoDB allows, each waited for until it can be queried.
      // An index still being built comes first: DynamoDB refuses a second one meanwhile.
      if (Table.GlobalSecondaryIndexes?.some((index) => index.IndexStatus !== 'ACTIVE')) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const missing = indexDefinitions().find(
        (index) => !Table.GlobalSecondaryIndexes?.some((existing) => existing.IndexName === index.IndexName),
      );
      if (missing) {
        await (client as DynamoDBClient).send(
          new UpdateTableCommand({
            TableName: tableName,
            AttributeDefinitions: INDEX_ATTRIBUTES,
            GlobalSecondaryIndexUpdates: [{ Create: missing }],
          }),
        );
        continue;
      }
      // A table made before events had no stream (data kept under .local/ by npm start).
      if (!stream || Table.StreamSpecification?.StreamEnabled) return;
      await (client as DynamoDBClient).send(
        new UpdateTableCommand({ TableName: tableName, StreamSpecification: STREAM }),
      );
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE within 60 s (${state})`);
}
