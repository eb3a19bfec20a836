import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CompensationFailureReport, KeyRequest, RateLimits, TokenBinding } from '../ports.js';
import { ApiGatewayKeys, unthrottledUsageKey } from './api-gateway-keys.js';
import { type GatewayNames, gatewayNames } from './gateway-names.js';
import { RatePlanRegistry } from './rate-plans.js';

export interface AwsRateLimitOptions {
  apiGateway: { restApiId: string; stage: string; unthrottledApiKeyId: string };
  region: string;
  documents: DynamoDBDocumentClient;
  tableName: string;
  onCompensationFailure?: CompensationFailureReport;
  /** A client to use instead of a new one (tests). */
  gateway?: APIGatewayClient;
}

/**
 * `maxRps` in AWS: one API key per limited token, in the usage plan for its rate, and a
 * shared key in the stack's unthrottled plan for everyone else. Also exposes the keys,
 * plans and names for reconcile.
 */
export class ApiGatewayRateLimits implements RateLimits {
  readonly keys: ApiGatewayKeys;
  readonly plans: RatePlanRegistry;
  readonly names: GatewayNames;
  readonly sharedUsageKey: () => Promise<string>;

  constructor(options: AwsRateLimitOptions) {
    const gateway = options.gateway ?? lazyClient(options.region);
    const stage = { restApiId: options.apiGateway.restApiId, stage: options.apiGateway.stage };
    const report = options.onCompensationFailure ? { onCompensationFailure: options.onCompensationFailure } : {};
    this.names = gatewayNames(stage);
    this.plans = new RatePlanRegistry({ gateway, documents: options.documents, tableName: options.tableName, stage, names: this.names, ...report });
    this.keys = new ApiGatewayKeys({ gateway, plans: this.plans, stage, names: this.names, ...report });
    this.sharedUsageKey = unthrottledUsageKey(gateway, options.apiGateway.unthrottledApiKeyId);
  }

  bind(request: KeyRequest): Promise<TokenBinding> {
    return this.keys.bind(request);
  }

  setEnabled(binding: TokenBinding, enabled: boolean): Promise<void> {
    return this.keys.setEnabled(binding, enabled);
  }

  unbind(binding: TokenBinding): Promise<void> {
    return this.keys.unbind(binding);
  }
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
