import type { Wiring } from '../runtime.js';
import { DynamoRatePlanRecords } from '../store/rate-plan-records.js';
import { ApiGatewayRateLimits } from './aws-rate-limits.js';
import { SharedUsageKey } from './shared-usage-key.js';

/**
 * The wiring of a function that keeps API Gateway's keys in step with tokens (create,
 * update, delete, reconcile): only these carry the API Gateway client in their bundle.
 * The adapter's table side (plan records, the shared key's value) comes through ports,
 * so the API Gateway side knows nothing of DynamoDB.
 */
export const apiGatewayKeys: Wiring = (config, { documents, onCompensationFailure }) => {
  if (!config.apiGateway) return {};
  const shared = new SharedUsageKey(documents, config.tableName);
  return {
    rateLimits: new ApiGatewayRateLimits({
      apiGateway: config.apiGateway,
      region: config.region,
      records: new DynamoRatePlanRecords(documents, config.tableName),
      sharedUsageKey: () => shared.get(),
      onCompensationFailure,
    }),
  };
};
