import { rmSync } from 'node:fs';

/** Stops the DynamoDB Local that global-setup.mts started, and removes the run's state folder. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __dynamodbLocal__?: { stop(): Promise<void> } }).__dynamodbLocal__?.stop();
  if (process.env.LOCAL_STATE_DIR) rmSync(process.env.LOCAL_STATE_DIR, { recursive: true, force: true });
}
