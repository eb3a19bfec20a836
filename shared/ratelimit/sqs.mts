/**
 * The SQS operations the key queue sends with. The only module that imports the SQS SDK:
 * like `api-gateway.mts`, a file of its own beside the bundle of each function that queues
 * key changes (`SDK_MODULES` in `infra/cdk/bundling.ts`), loaded by the first change a
 * container queues, so that a function's init parses none of it.
 */
export { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
