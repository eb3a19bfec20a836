/** Stops the DynamoDB Local that global-setup.mts started. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __dynamodbLocal__?: { stop(): Promise<void> } }).__dynamodbLocal__?.stop();
}
