import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.js';

/** Builds the document client from configuration; the only place that knows the endpoint. */
export function createDocumentClient(options: { endpoint?: string; region?: string } = {}): DynamoDBDocumentClient {
  const settings = config();
  const endpoint = options.endpoint ?? settings.dynamodbEndpoint;
  const client = new DynamoDBClient({
    region: options.region ?? settings.region,
    ...(endpoint
      ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** Errors from AWS that mean "try again", not "you sent something wrong". */
const NETWORK_ERRORS = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH'];

export function isRetryableAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.$retryable) return true;
  // Timeouts and dropped connections reach us as plain errors, without AWS metadata.
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || NETWORK_ERRORS.includes(e.code ?? '')) return true;
  return [
    'ThrottlingException',
    'ProvisionedThroughputExceededException',
    'RequestLimitExceeded',
    'InternalServerError',
    'ServiceUnavailable',
    'TransactionConflictException',
    'TooManyRequestsException',
  ].includes(e.name ?? '') || (e.$metadata?.httpStatusCode ?? 0) >= 500;
}
