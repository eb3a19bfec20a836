import type { TableClients } from '../dynamodb/client.js';
import type { Config } from '../kernel/config.js';
import type { RateLimits } from '../tokens/ports.js';
import { ApiGateway } from './api-gateway.mjs';
import { ApiGatewayRateLimits } from './aws-rate-limits.js';
import { awsRateLimitOptions } from './aws-wiring.js';

/**
 * `npm run reconcile`'s wiring: the API Gateway adapter itself, built at start, since the
 * command reads and repairs through it. (The scheduled function loads it on its first
 * run instead: `scheduled-reconcile.ts`.)
 */
export const apiGatewayKeysAtInit = (config: Config, clients: TableClients): { rateLimits?: RateLimits } =>
  config.apiGateway
    ? {
        rateLimits: new ApiGatewayRateLimits({
          ...awsRateLimitOptions(config, config.apiGateway, clients),
          gateway: ApiGateway.forRegion(config.region),
        }),
      }
    : {};
