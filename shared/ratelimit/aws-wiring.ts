import type { Config } from '../config.js';
import type { KeyRequest, RateLimits, TokenBinding } from '../ports.js';
import type { Runtime, Wiring } from '../runtime.js';
import { DynamoRatePlanRecords } from '../store/rate-plan-records.js';
import type { ApiGatewayRateLimits, AwsRateLimitOptions } from './aws-rate-limits.js';
import { SharedUsageKey } from './shared-usage-key.js';

type Clients = Pick<Runtime, 'documents' | 'onCompensationFailure'>;

/** The adapter's options but API Gateway itself: its table side (plan records, the shared key's value) through ports. */
export function awsRateLimitOptions(config: Config, apiGateway: NonNullable<Config['apiGateway']>, clients: Clients): Omit<AwsRateLimitOptions, 'gateway'> {
  const shared = new SharedUsageKey(clients.documents, config.tableName);
  return {
    apiGateway,
    records: new DynamoRatePlanRecords(clients.documents, config.tableName),
    sharedUsageKey: () => shared.get(),
    onCompensationFailure: clients.onCompensationFailure,
  };
}

/**
 * The wirings of the functions that keep API Gateway's keys in step with tokens (create,
 * update, delete, reconcile): only these carry the API Gateway SDK in their bundle.
 * The adapter's table side (plan records, the shared key's value) comes through ports,
 * so the API Gateway side knows nothing of DynamoDB.
 */

/**
 * The AWS adapter, loaded when first needed instead of at init: many invocations (tokens
 * without a limit, refusals) never need API Gateway, and in a bundle the SDK is a file of
 * its own (`api-gateway.mts`), so a cold start does not even parse it.
 */
export async function loadApiGatewayRateLimits(config: Config, apiGateway: NonNullable<Config['apiGateway']>, clients: Clients): Promise<ApiGatewayRateLimits> {
  const options = awsRateLimitOptions(config, apiGateway, clients);
  const [{ ApiGatewayRateLimits }, { ApiGateway }] = await Promise.all([import('./aws-rate-limits.js'), import('./api-gateway.mjs')]);
  return new ApiGatewayRateLimits({ ...options, gateway: ApiGateway.forRegion(config.region) });
}

/** `RateLimits` whose implementation is loaded by the first call that needs it. */
class Deferred implements RateLimits {
  private loaded: Promise<RateLimits> | undefined;
  constructor(private readonly load: () => Promise<RateLimits>) {}

  private get limits(): Promise<RateLimits> {
    if (!this.loaded) {
      const loading = this.load();
      this.loaded = loading;
      loading.catch(() => {
        if (this.loaded === loading) this.loaded = undefined;
      });
    }
    return this.loaded;
  }

  async bind(request: KeyRequest): Promise<TokenBinding> {
    return (await this.limits).bind(request);
  }
  async setEnabled(binding: TokenBinding, enabled: boolean): Promise<void> {
    return (await this.limits).setEnabled(binding, enabled);
  }
  async unbind(binding: TokenBinding): Promise<void> {
    return (await this.limits).unbind(binding);
  }
  async sharedUsageKey(): Promise<string> {
    return (await this.limits).sharedUsageKey();
  }
}

/** The request path's wiring (create, update, delete): the adapter loads on first use. */
export const apiGatewayKeys: Wiring = (config, clients) => {
  const { apiGateway } = config;
  if (!apiGateway) return {};
  return { rateLimits: new Deferred(() => loadApiGatewayRateLimits(config, apiGateway, clients)) };
};
