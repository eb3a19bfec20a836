import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CompensationFailureReport } from '../kernel/ports.js';

/** What a wiring builds its adapters on: the table's client, and where a failed undo is told. */
export interface TableClients {
  documents: DynamoDBDocumentClient;
  onCompensationFailure: CompensationFailureReport;
}

/** Builds the document client; the only place that knows how to reach DynamoDB Local. */
export function createDocumentClient(options: {
  region: string;
  endpoint?: string | undefined;
}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: options.region,
    ...(options.endpoint
      ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Errors from AWS that mean "try again", not "you sent something wrong". */
const NETWORK_ERRORS = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH'];
const RETRYABLE_NAMES = [
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TooManyRequestsException',
];

export function isRetryableAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.$retryable) return true;
  // Timeouts and dropped connections reach us as plain errors, without AWS metadata.
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || NETWORK_ERRORS.includes(e.code ?? '')) return true;
  return RETRYABLE_NAMES.includes(e.name ?? '') || (e.$metadata?.httpStatusCode ?? 0) >= 500;
}
