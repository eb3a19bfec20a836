import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { lazyJwtVerifier } from './auth/lazy-jwt.js';
import type { JwtVerifier } from './auth/jwt.js';
import type { Config } from './config.js';
import { createObservability, type Observability } from './middleware/observability.js';
import type { Clock, CompensationFailureReport, DirectoryStore, IdGenerator, RateLimits, TokenStore } from './ports.js';
import { ApiGatewayRateLimits } from './ratelimit/aws-rate-limits.js';
import { LocalRateLimits } from './ratelimit/local-rate-limits.js';
import { DynamoDirectoryStore } from './store/directory-store.js';
import { createDocumentClient } from './store/dynamodb.js';
import { DynamoTokenStore } from './store/token-store.js';
import { mintToken } from './token-format.js';

/**
 * The composition root: every client, store and adapter, built once from configuration.
 * Each Lambda entry builds one at init (`lambdaHandler`); the local gateway and the
 * tests build their own, with any part replaced. Building it does no I/O.
 */
export interface Runtime extends Observability {
  config: Config;
  clock: Clock;
  ids: IdGenerator;
  documents: DynamoDBDocumentClient;
  tokens: TokenStore;
  directory: DirectoryStore;
  rateLimits: RateLimits;
  verifyJwt: JwtVerifier;
  /** Told when undoing half of a change failed; reconcile repairs what it left. */
  onCompensationFailure: CompensationFailureReport;
}

/** Parts a caller may supply instead of the ones built from configuration. */
export interface RuntimeParts {
  documents?: DynamoDBDocumentClient;
  /** The API Gateway client of the AWS rate limits (tests pass one they fake). */
  apiGateway?: APIGatewayClient;
  rateLimits?: RateLimits;
  clock?: Clock;
  ids?: IdGenerator;
  verifyJwt?: JwtVerifier;
}

export function createRuntime(config: Config, parts: RuntimeParts = {}): Runtime {
  const observability = createObservability(config);
  const documents = parts.documents ?? createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint });
  // Names ids and the step, never a key value.
  const onCompensationFailure: CompensationFailureReport = (error, step) =>
    observability.logger.error('Compensation failed; reconcile will repair', { step, error });
  const rateLimits =
    parts.rateLimits ??
    (config.apiGateway
      ? new ApiGatewayRateLimits({
          apiGateway: config.apiGateway,
          region: config.region,
          documents,
          tableName: config.tableName,
          onCompensationFailure,
          ...(parts.apiGateway ? { gateway: parts.apiGateway } : {}),
        })
      : new LocalRateLimits({ documents, tableName: config.tableName }));
  return {
    ...observability,
    config,
    clock: parts.clock ?? (() => new Date()),
    ids: parts.ids ?? { mintToken },
    documents,
    tokens: new DynamoTokenStore(documents, config.tableName),
    directory: new DynamoDirectoryStore(documents, config.tableName),
    rateLimits,
    verifyJwt: parts.verifyJwt ?? lazyJwtVerifier(config.jwt),
    onCompensationFailure,
  };
}
