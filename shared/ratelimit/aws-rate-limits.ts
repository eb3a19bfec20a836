import type { CompensationFailureReport } from '../kernel/ports.js';
import type { KeyRequest, RateLimits } from '../tokens/ports.js';
import type { TokenBinding } from '../kernel/model.js';
import type { ApiGateway } from './api-gateway.mjs';
import { ApiGatewayKeys } from './api-gateway-keys.js';
import { type ApiStage, type GatewayNames, gatewayNames } from './gateway-names.js';
import type { RatePlanRecords } from './plan-records.js';
import { RatePlanRegistry } from './rate-plans.js';

export interface AwsRateLimitOptions {
  apiGateway: { restApiId: string; stage: string; keyWarmupSeconds?: number };
  /** API Gateway, on a client of its own (see `api-gateway.mts` for why it is handed in). */
  gateway: ApiGateway;
  records: RatePlanRecords;
  /** The shared unthrottled key's value (read from the table, see `SharedUsageKey`). */
  sharedUsageKey: () => Promise<string>;
  onCompensationFailure?: CompensationFailureReport;
  clock?: () => Date;
}

/**
 * `maxRps` in AWS: one API key per limited token, in the usage plan for its rate, and the
 * stack's shared key in its unthrottled plan for everyone else. Reconcile reads and
 * repairs them with its own parts (`reconcile.ts`), built on this client: the request
 * path carries no listing and no plan changes.
 * Its table side (plan records, the shared key) comes through ports (`aws-wiring.ts`).
 */
export class ApiGatewayRateLimits implements RateLimits {
  readonly keys: ApiGatewayKeys;
  readonly plans: RatePlanRegistry;
  readonly names: GatewayNames;
  readonly gateway: ApiGateway;
  readonly stage: ApiStage;

  constructor(private readonly options: AwsRateLimitOptions) {
    const { gateway } = options;
    const stage = { restApiId: options.apiGateway.restApiId, stage: options.apiGateway.stage };
    const shared = {
      gateway,
      stage,
      names: gatewayNames(stage),
      ...(options.apiGateway.keyWarmupSeconds === undefined
        ? {}
        : { keyWarmupSeconds: options.apiGateway.keyWarmupSeconds }),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.onCompensationFailure ? { onCompensationFailure: options.onCompensationFailure } : {}),
    };
    this.names = shared.names;
    this.gateway = gateway;
    this.stage = stage;
    this.plans = new RatePlanRegistry({ ...shared, records: options.records });
    this.keys = new ApiGatewayKeys({ ...shared, plans: this.plans });
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
