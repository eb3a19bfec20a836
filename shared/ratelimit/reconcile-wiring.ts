import type { Wiring } from '../runtime/runtime.js';
import { ApiGateway } from './api-gateway.mjs';
import { ApiGatewayRateLimits } from './aws-rate-limits.js';
import { awsRateLimitOptions } from './aws-wiring.js';

/**
 * `npm run reconcile`'s wiring: the API Gateway adapter itself, built at start, since the
 * command reads and repairs through it. (The scheduled function loads it on its first
 * run instead: `scheduled-reconcile.ts`.)
 */
export const apiGatewayKeysAtInit: Wiring = (config, clients) =>
  config.apiGateway
    ? {
        rateLimits: new ApiGatewayRateLimits({
          ...awsRateLimitOptions(config, config.apiGateway, clients),
          gateway: ApiGateway.forRegion(config.region),
        }),
      }
    : {};
