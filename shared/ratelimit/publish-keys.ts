import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../kernel/config.js';
import type { Observability } from '../http/observability.js';
import { ApiGateway, GetApiKeyCommand } from './api-gateway.mjs';
import { Pacer } from './pacer.js';
import { PublishedUsageKeys } from './usage-keys.js';

/** What publishing the shared keys uses. */
export type SharedKeyPublisherDeps = Observability & {
  documents: DynamoDBDocumentClient;
  config: Pick<Config, 'region' | 'tableName'>;
};

/**
 * The deploy-time custom resources that copy into the table the values of the stack's
 * shared keys (the unthrottled key, and each rate tier's pooled key), where the authorizer
 * reads them: once per deployment here, paced (the deployment itself calls the control
 * plane too), instead of from every authorizer container; and the tiers' plan ids, which
 * the key worker and reconcile read (no API Gateway call).
 *
 * It answers CloudFormation itself (a PUT to the pre-signed ResponseURL), always, so a
 * failure fails the deployment instead of leaving it waiting; no key value is ever in the
 * answer, a log line or an error.
 */
export function createSharedKeyPublisher(
  deps: SharedKeyPublisherDeps,
  gateway = new ApiGateway({ region: deps.config.region }),
  pacer = new Pacer({ callsPerSecond: 2 }),
) {
  const shared = new PublishedUsageKeys(deps.documents, deps.config.tableName);
  const keyValue = async (apiKey: unknown) => {
    const key = await pacer.call(() =>
      gateway.send(new GetApiKeyCommand({ apiKey: String(apiKey), includeValue: true })),
    );
    if (!key.value) throw new Error(`API key ${apiKey} has no value`);
    return key.value;
  };
  return async (event: CloudFormationCustomResourceEvent): Promise<void> => {
    const { TierPlans, PooledKeyIds, ApiKeyId } = event.ResourceProperties;
    let outcome: { Status: 'SUCCESS' } | { Status: 'FAILED'; Reason: string } = { Status: 'SUCCESS' };
    try {
      // On delete the item stays: the table outlives the stack, and a later stack rewrites it.
      if (event.RequestType !== 'Delete' && TierPlans) {
        await shared.publishTierPlans(TierPlans);
        deps.logger.info('Tier plans published', { tiers: Object.keys(TierPlans).length });
      } else if (event.RequestType !== 'Delete') {
        const pooled: Record<string, string> = {};
        for (const [rps, apiKeyId] of Object.entries(PooledKeyIds ?? {})) pooled[rps] = await keyValue(apiKeyId);
        await shared.publish({ unthrottled: await keyValue(ApiKeyId ?? ''), pooled });
        deps.logger.info('Shared usage keys published', { pooled: Object.keys(pooled).length });
      }
    } catch (error) {
      const name = (error as { name?: string }).name ?? 'Error';
      deps.logger.error('Publishing the shared usage keys failed', { error: name });
      outcome = {
        Status: 'FAILED',
        Reason: `Could not publish the shared usage keys (${name}); see the function's log`,
      };
    }
    const body = JSON.stringify({
      ...outcome,
      // Stable: an update never replaces the resource (CloudFormation would then delete the old one).
      PhysicalResourceId: TierPlans ? 'tier-plans' : 'shared-usage-key',
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      NoEcho: true,
    });
    const headers = { 'Content-Type': '', 'Content-Length': String(Buffer.byteLength(body)) };
    const response = await fetch(event.ResponseURL, { method: 'PUT', headers, body });
    if (!response.ok) throw new Error(`CloudFormation did not take the answer: HTTP ${response.status}`);
  };
}
