import type { Config } from '../config.js';
import type { KeyRequest, RateLimits, TokenBinding } from '../ports.js';
import type { Runtime, Wiring } from '../runtime.js';
import { DynamoRatePlanRecords } from '../store/rate-plan-records.js';
import type { ApiGatewayRateLimits, AwsRateLimitOptions } from './aws-rate-limits.js';
import { SharedUsageKey } from './shared-usage-key.js';

type Clients = Pick<Runtime, 'documents' | 'onCompensationFailure'>;

/** The adapter's options: its table side (plan records, the shared key's value) through ports. */
export function awsRateLimitOptions(config: Config, apiGateway: NonNullable<Config['apiGateway']>, clients: Clients): AwsRateLimitOptions {
  const shared = new SharedUsageKey(clients.documents, config.tableName);
  return {
    apiGateway,
    region: config.region,
    records: new DynamoRatePlanRecords(clients.documents, config.tableName),
    sharedUsageKey: () => shared.get(),
    onCompensationFailure: clients.onCompensationFailure,
  };
}

/**
 * The wirings of the functions that keep API Gateway's keys in step with tokens (create,
 * update, delete, reconcile): only these carry the API Gateway client in their bundle.
 * The adapter's table side (plan records, the shared key's value) comes through ports,
 * so the API Gateway side knows nothing of DynamoDB.
 */

async function load(options: AwsRateLimitOptions): Promise<ApiGatewayRateLimits> {
  // Loaded on first use: the API Gateway client is a tenth of a key-managing function's
  // cold start, and many of its invocations (tokens without a limit, refusals) never need it.
  const { ApiGatewayRateLimits } = await import('./aws-rate-limits.js');
  return new ApiGatewayRateLimits(options);
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
  const options = awsRateLimitOptions(config, apiGateway, clients);
  return { rateLimits: new Deferred(() => load(options)) };
};
