import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { CompensationFailureReport, KeyRequest, RateLimits, TokenBinding } from '../ports.js';
import { ApiGatewayKeys } from './api-gateway-keys.js';
import { type GatewayNames, gatewayNames } from './gateway-names.js';
import type { RatePlanRecords } from './plan-records.js';
import { RatePlanRegistry } from './rate-plans.js';

export interface AwsRateLimitOptions {
  apiGateway: { restApiId: string; stage: string };
  region: string;
  records: RatePlanRecords;
  /** The shared unthrottled key's value (read from the table, see `SharedUsageKey`). */
  sharedUsageKey: () => Promise<string>;
  onCompensationFailure?: CompensationFailureReport;
  /** A client to use instead of a new one (tests). */
  gateway?: APIGatewayClient;
}

/**
 * `maxRps` in AWS: one API key per limited token, in the usage plan for its rate, and the
 * stack's shared key in its unthrottled plan for everyone else. Also exposes the keys and
 * plans for reconcile.
 * Its table side (plan records, the shared key) comes through ports (`aws-wiring.ts`).
 */
export class ApiGatewayRateLimits implements RateLimits {
  readonly keys: ApiGatewayKeys;
  readonly plans: RatePlanRegistry;
  readonly names: GatewayNames;

  constructor(private readonly options: AwsRateLimitOptions) {
    const gateway = options.gateway ?? new APIGatewayClient({ region: options.region });
    const stage = { restApiId: options.apiGateway.restApiId, stage: options.apiGateway.stage };
    const report = options.onCompensationFailure ? { onCompensationFailure: options.onCompensationFailure } : {};
    this.names = gatewayNames(stage);
    this.plans = new RatePlanRegistry({ gateway, records: options.records, stage, names: this.names, ...report });
    this.keys = new ApiGatewayKeys({ gateway, plans: this.plans, stage, names: this.names, ...report });
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

  sharedUsageKey(): Promise<string> {
    return this.options.sharedUsageKey();
  }
}
