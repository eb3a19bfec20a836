import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.js';
import type { CompensationFailureReport } from './api-key-binder.js';
import { ApiGatewayKeys, unthrottledUsageKey } from './api-gateway-keys.js';
import { type GatewayNames, gatewayNames } from './gateway-names.js';
import { RatePlanRegistry } from './rate-plans.js';

/** Everything that enforces `maxRps` in AWS, built once per container. */
export interface RateLimits {
  keys: ApiGatewayKeys;
  plans: RatePlanRegistry;
  names: GatewayNames;
  /** The shared key's value, for callers without a key of their own. */
  unthrottledUsageKey: () => Promise<string>;
}

export interface AwsRateLimitOptions {
  apiGateway: NonNullable<Config['apiGateway']>;
  region: string;
  documents: DynamoDBDocumentClient;
  tableName: string;
  onCompensationFailure?: CompensationFailureReport;
  /** A client to use instead of a new one (tests). */
  gateway?: APIGatewayClient;
}

export function createAwsRateLimits(options: AwsRateLimitOptions): RateLimits {
  const gateway = options.gateway ?? lazyClient(options.region);
  const stage = { restApiId: options.apiGateway.restApiId, stage: options.apiGateway.stage };
  const names = gatewayNames(stage);
  const report = options.onCompensationFailure ? { onCompensationFailure: options.onCompensationFailure } : {};
  const plans = new RatePlanRegistry({ gateway, documents: options.documents, tableName: options.tableName, stage, names, ...report });
  return {
    keys: new ApiGatewayKeys({ gateway, plans, stage, names, ...report }),
    plans,
    names,
    unthrottledUsageKey: unthrottledUsageKey(gateway, options.apiGateway.unthrottledApiKeyId),
  };
}

/**
 * The API Gateway client, built on its first call: most functions (whoami, lists, the
 * authorizer for limited tokens) never call API Gateway, and need not pay for a client
 * at init.
 */
function lazyClient(region: string): APIGatewayClient {
  let client: APIGatewayClient | undefined;
  return { send: (command: never) => (client ??= new APIGatewayClient({ region })).send(command) } as unknown as APIGatewayClient;
}
