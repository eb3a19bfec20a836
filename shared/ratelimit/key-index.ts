import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { RATE_KEY_INDEX, rateKeyShards } from '../dynamodb/keys.js';

/** Every item of the rate keys index: a few eventually consistent queries, never a scan of the table. */
export async function* rateKeyIndexItems(
  documents: DynamoDBDocumentClient,
  tableName: string,
): AsyncGenerator<Record<string, unknown>> {
  for (const shard of rateKeyShards()) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: RATE_KEY_INDEX.name,
          KeyConditionExpression: '#shard = :shard',
          ExpressionAttributeNames: { '#shard': RATE_KEY_INDEX.partitionKey },
          ExpressionAttributeValues: { ':shard': shard },
          ExclusiveStartKey: startKey,
        }),
      );
      yield* page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}
