import { BatchWriteCommand, type BatchWriteCommandInput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One put or delete of a `BatchWriteItem`. */
export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/** A batch DynamoDB still left unprocessed after every attempt. */
export class UnprocessedItemsError extends Error {
  constructor(readonly left: number) {
    super(`DynamoDB left ${left} items unprocessed`);
  }
}

/**
 * Writes the requests in `BatchWriteItem`s of 25 (DynamoDB's limit), `concurrency` at a
 * time. Whatever DynamoDB leaves unprocessed (throttling) is sent again, after a growing
 * pause, up to nine attempts per batch. The batches are not one transaction: a failure
 * leaves the earlier ones written.
 */
export async function batchWrite(
  client: DynamoDBDocumentClient,
  tableName: string,
  requests: WriteRequest[],
  options: { concurrency?: number } = {},
): Promise<void> {
  const batches = Array.from({ length: Math.ceil(requests.length / 25) }, (_, i) =>
    requests.slice(i * 25, i * 25 + 25),
  );
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let pending = batches[next++]!;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 8) throw new UnprocessedItemsError(pending.length);
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        pending = result.UnprocessedItems?.[tableName] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 1, batches.length) }, worker));
}
