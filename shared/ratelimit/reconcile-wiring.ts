import type { Wiring } from '../runtime.js';
import { ApiGateway } from './api-gateway.mjs';
import { ApiGatewayRateLimits } from './aws-rate-limits.js';
import { awsRateLimitOptions } from './aws-wiring.js';

/**
 * Reconcile's wiring (the scheduled function, `npm run reconcile`, the directory CLI): the
 * API Gateway adapter itself, built at init, since reconcile reads and repairs through it.
 */
export const apiGatewayKeysAtInit: Wiring = (config, clients) =>
  config.apiGateway
    ? { rateLimits: new ApiGatewayRateLimits({ ...awsRateLimitOptions(config, config.apiGateway, clients), gateway: ApiGateway.forRegion(config.region) }) }
    : {};
