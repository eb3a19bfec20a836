import type { Config } from '../kernel/config.js';
import type { KeyRequest, RateLimits } from '../tokens/ports.js';
import type { TokenBinding } from '../kernel/model.js';
import type { TableClients } from '../dynamodb/client.js';
import { DynamoRatePlanRecords } from './rate-plan-records.js';
import type { ApiGatewayRateLimits, AwsRateLimitOptions } from './aws-rate-limits.js';
import { SharedUsageKey } from './shared-usage-key.js';

/**
 * The wiring of the functions that keep API Gateway's keys in step with tokens (create,
 * update, delete, the federation policies' create and delete, the scheduled reconcile):
 * they carry the API Gateway SDK beside their bundle, and load it on first use.
 * The adapter's table side (plan records, the shared key's value) comes through ports,
 * so the API Gateway side knows nothing of DynamoDB.
 */

type Clients = TableClients;

/**
 * The adapter's options but API Gateway itself: its table side (plan records, the shared key's value) through ports.
 */
export function awsRateLimitOptions(
  config: Config,
  apiGateway: NonNullable<Config['apiGateway']>,
  clients: Clients,
): Omit<AwsRateLimitOptions, 'gateway'> {
  const shared = new SharedUsageKey(clients.documents, config.tableName);
  return {
    apiGateway,
    records: new DynamoRatePlanRecords(clients.documents, config.tableName),
    sharedUsageKey: () => shared.get(),
    onCompensationFailure: clients.onCompensationFailure,
  };
}

/**
 * The AWS adapter, loaded by the first call of the function returned instead of at init,
 * and kept; a load that failed is tried again by the next call. Many invocations (tokens
 * without a limit, refusals) never need API Gateway, and in a bundle the SDK is a file of
 * its own (`api-gateway.mts`), so a cold start does not even parse it.
 */
export function apiGatewayRateLimitsOnFirstUse(
  config: Config,
  apiGateway: NonNullable<Config['apiGateway']>,
  clients: Clients,
): () => Promise<ApiGatewayRateLimits> {
  let loaded: Promise<ApiGatewayRateLimits> | undefined;
  const load = async () => {
    const [{ ApiGatewayRateLimits }, { ApiGateway }] = await Promise.all([
      import('./aws-rate-limits.js'),
      import('./api-gateway.mjs'),
    ]);
    return new ApiGatewayRateLimits({
      ...awsRateLimitOptions(config, apiGateway, clients),
      gateway: ApiGateway.forRegion(config.region),
    });
  };
  return () => {
    if (!loaded) {
      const loading = load();
      loaded = loading;
      loading.catch(() => {
        if (loaded === loading) loaded = undefined;
      });
    }
    return loaded;
  };
}

/** `RateLimits` whose implementation is loaded by the first call that needs it. */
class Deferred implements RateLimits {
  constructor(private readonly limits: () => Promise<RateLimits>) {}

  async bind(request: KeyRequest): Promise<TokenBinding> {
    return (await this.limits()).bind(request);
  }
  async setEnabled(binding: TokenBinding, enabled: boolean): Promise<void> {
    return (await this.limits()).setEnabled(binding, enabled);
  }
  async unbind(binding: TokenBinding): Promise<void> {
    return (await this.limits()).unbind(binding);
  }
  async sharedUsageKey(): Promise<string> {
    return (await this.limits()).sharedUsageKey();
  }
}

/** The request path's wiring (create, update, delete): the adapter loads on first use. */
export const apiGatewayKeys = (config: Config, clients: TableClients): { rateLimits?: RateLimits } => {
  const { apiGateway } = config;
  if (!apiGateway) return {};
  return { rateLimits: new Deferred(apiGatewayRateLimitsOnFirstUse(config, apiGateway, clients)) };
};
