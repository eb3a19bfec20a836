import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CompensationFailureReport, KeyRequest, RateLimits, TokenBinding } from '../ports.js';
import type { Wiring } from '../runtime.js';
import { DynamoRatePlanRecords } from '../store/rate-plan-records.js';
import type { ApiGatewayRateLimits } from './aws-rate-limits.js';
import { SharedUsageKey } from './shared-usage-key.js';

export interface AwsWiringOptions {
  apiGateway: { restApiId: string; stage: string };
  region: string;
  documents: DynamoDBDocumentClient;
  tableName: string;
  onCompensationFailure?: CompensationFailureReport;
}

/**
 * API Gateway's rate limits, loaded on the first key operation. Creates with a limit,
 * limit changes, suspensions and deletes need them; many calls of the same functions do
 * not (a token without a limit), and the API Gateway client is the largest module of
 * their bundles: deferring it keeps it out of their cold start. The DynamoDB side (plan
 * records, the shared key) is built here, eagerly, so that the deferred part shares no
 * module with the rest of the bundle.
 */
export class LazyApiGatewayRateLimits implements RateLimits {
  private loaded: Promise<ApiGatewayRateLimits> | undefined;
  private readonly shared: SharedUsageKey;

  constructor(private readonly options: AwsWiringOptions) {
    this.shared = new SharedUsageKey(options.documents, options.tableName);
  }

  /** The rate limits themselves, for reconcile (keys and plans). */
  load(): Promise<ApiGatewayRateLimits> {
    const { apiGateway, region, documents, tableName, onCompensationFailure } = this.options;
    this.loaded ??= import('./aws-rate-limits.js').then(
      ({ ApiGatewayRateLimits }) =>
        new ApiGatewayRateLimits({
          apiGateway,
          region,
          records: new DynamoRatePlanRecords(documents, tableName),
          sharedUsageKey: () => this.shared.get(),
          ...(onCompensationFailure ? { onCompensationFailure } : {}),
        }),
    );
    return this.loaded;
  }

  async bind(request: KeyRequest): Promise<TokenBinding> {
    return (await this.load()).bind(request);
  }

  async setEnabled(binding: TokenBinding, enabled: boolean): Promise<void> {
    return (await this.load()).setEnabled(binding, enabled);
  }

  async unbind(binding: TokenBinding): Promise<void> {
    return (await this.load()).unbind(binding);
  }

  sharedUsageKey(): Promise<string> {
    return this.shared.get();
  }
}

/**
 * The wiring of a function that keeps API Gateway's keys in step with tokens (create,
 * update, delete, reconcile): only these carry the API Gateway client in their bundle.
 */
export const apiGatewayKeys: Wiring = (config, { documents, onCompensationFailure }) =>
  config.apiGateway
    ? { rateLimits: new LazyApiGatewayRateLimits({ apiGateway: config.apiGateway, region: config.region, documents, tableName: config.tableName, onCompensationFailure }) }
    : {};
