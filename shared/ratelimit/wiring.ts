import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../kernel/config.js';
import type { TableClients } from '../dynamodb/client.js';
import type { RateLimits } from '../tokens/ports.js';
import { QueuedKeyChanges } from './key-queue.js';

/**
 * The wiring of the functions that change tokens and policies (create, update, delete,
 * the directory import): in AWS their changes go to the key worker's queue. They carry no
 * API Gateway client: nothing on the request path calls API Gateway's control plane.
 */
export const keyQueue = (config: Config, _clients: TableClients): { rateLimits?: RateLimits } => {
  const url = config.apiGateway?.keyQueueUrl;
  if (!url) return {};
  return { rateLimits: new QueuedKeyChanges(new SQSClient({ region: config.region }), url, () => new Date()) };
};
