import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../kernel/config.js';
import type { Observability } from '../http/observability.js';
import { ApiGateway } from './api-gateway.mjs';
import { SharedUsageKey } from './shared-usage-key.js';

/** What publishing the shared key uses. */
export type SharedKeyPublisherDeps = Observability & {
  documents: DynamoDBDocumentClient;
  config: Pick<Config, 'region' | 'tableName'>;
};

/**
 * The deploy-time custom resource that copies the value of the stack's unthrottled key
 * into the table, where the authorizer reads it: once per deployment here, instead of
 * once per authorizer container from API Gateway's control plane.
 *
 * It answers CloudFormation itself (a PUT to the pre-signed ResponseURL), always, so a
 * failure fails the deployment instead of leaving it waiting; the key value is never in
 * the answer, a log line or an error.
 */
export function createSharedKeyPublisher(
  parts: SharedKeyPublisherDeps,
  gateway = ApiGateway.forRegion(parts.config.region),
) {
  const shared = new SharedUsageKey(parts.documents, parts.config.tableName);
  return async (event: CloudFormationCustomResourceEvent): Promise<void> => {
    let outcome: { Status: 'SUCCESS' } | { Status: 'FAILED'; Reason: string } = { Status: 'SUCCESS' };
    try {
      // On delete the item stays: the table outlives the stack, and a later stack rewrites it.
      if (event.RequestType !== 'Delete') {
        const apiKeyId = String(event.ResourceProperties.ApiKeyId ?? '');
        const key = await gateway.getApiKey({ apiKey: apiKeyId, includeValue: true });
        if (!key.value) throw new Error(`API key ${apiKeyId} has no value`);
        await shared.publish(key.value);
        parts.logger.info('Shared usage key published', { apiKeyId });
      }
    } catch (error) {
      const name = (error as { name?: string }).name ?? 'Error';
      parts.logger.error('Publishing the shared usage key failed', { error: name });
      outcome = {
        Status: 'FAILED',
        Reason: `Could not publish the shared usage key (${name}); see the function's log`,
      };
    }
    const body = JSON.stringify({
      ...outcome,
      // Stable: an update never replaces the resource (CloudFormation would then delete the old one).
      PhysicalResourceId: 'shared-usage-key',
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      NoEcho: true,
    });
    const response = await fetch(event.ResponseURL, {
      method: 'PUT',
      headers: { 'Content-Type': '', 'Content-Length': String(Buffer.byteLength(body)) },
      body,
    });
    if (!response.ok) throw new Error(`CloudFormation did not take the answer: HTTP ${response.status}`);
  };
}
