import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JwtVerifier } from '../auth/jwt.js';
import type { Config } from '../kernel/config.js';
import { createObservability, type Observability } from '../http/observability.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';
import type { DirectoryStore } from '../directory/ports.js';
import type { RateLimits, TokenStore } from '../tokens/ports.js';
import type { TokenEvents } from '../audit/ports.js';
import type { TokenExposures } from '../scanning/ports.js';
import type { TokenLifecycle } from '../lifecycle/ports.js';
import type { UsageKeys } from '../auth/ports.js';
import { LocalRateLimits } from '../ratelimit/local-rate-limits.js';
import { DynamoKeyOwners } from '../ratelimit/key-owners.js';
import { PublishedUsageKeys } from '../ratelimit/usage-keys.js';
import { DynamoDirectoryStore } from '../directory/directory-store.js';
import { createDocumentClient } from '../dynamodb/client.js';
import { DynamoTokenEvents } from '../audit/event-store.js';
import { DynamoTokenExposures } from '../scanning/exposure-store.js';
import { DynamoTokenLifecycle } from '../lifecycle/lifecycle-store.js';
import { DynamoTokenStore } from '../tokens/token-store.js';
import { ids } from '../kernel/ids.js';
import type { ExchangeRecords, PolicyStore, ReplayGuard } from '../federation/ports.js';
import type { SubjectTokenVerifier } from '../federation/subject-token.js';
import { DynamoExchangeRecords, DynamoReplayGuard } from '../federation/exchange-store.js';
import { DynamoPolicyStore } from '../federation/policy-store.js';

/**
 * The composition root: every client, store and adapter, built once from configuration.
 * Each Lambda entry builds one at init (`lambdaHandler`), wired with what that function
 * needs beyond the common parts; the local gateway and the tests build their own, with
 * any part replaced. Building it does no I/O.
 */
export interface Runtime extends Observability {
  config: Config;
  clock: Clock;
  ids: IdGenerator;
  documents: DynamoDBDocumentClient;
  tokens: TokenStore;
  /** The audit trail, as read (changes write their events through `tokens`). */
  events: TokenEvents;
  /** Expiry notices and unused-token suspension, on the table's sparse indexes. */
  lifecycle: TokenLifecycle;
  /** Suspensions of tokens found in public (secret scanning). */
  exposures: TokenExposures;
  directory: DirectoryStore;
  /** Where token and policy changes tell the key worker (its queue in AWS; inline locally). */
  rateLimits: RateLimits;
  /** The API key each call presents (the authorizer's). */
  usageKeys: UsageKeys;
  verifyJwt: JwtVerifier;
  /** Federation: policies, used subject tokens, what exchanges write, and subject-token verification. */
  policies: PolicyStore;
  replay: ReplayGuard;
  exchangeRecords: ExchangeRecords;
  verifySubjectToken: SubjectTokenVerifier;
  /** Told when undoing half of a change failed; reconcile repairs what it left. */
  onCompensationFailure: CompensationFailureReport;
}

/** Parts a caller may supply instead of the defaults built from configuration. */
export interface RuntimeParts {
  documents?: DynamoDBDocumentClient;
  rateLimits?: RateLimits;
  usageKeys?: UsageKeys;
  clock?: Clock;
  ids?: IdGenerator;
  verifyJwt?: JwtVerifier;
  verifySubjectToken?: SubjectTokenVerifier;
}

/**
 * What one function needs beyond the common parts (JWT verification, API Gateway key
 * management), given the configuration and the parts built so far. A Lambda entry names
 * its wirings, so its bundle carries those adapters and no others.
 */
export type Wiring = (config: Config, base: Pick<Runtime, 'documents' | 'onCompensationFailure'>) => RuntimeParts;

/** The JWT verifier of a function that is not wired for JWTs: a wiring mistake, said plainly. */
const noJwtVerification: JwtVerifier = () =>
  Promise.reject(new Error('This function is not wired to verify JWTs: pass jwtVerification to lambdaHandler'));
const noSubjectTokenVerification: SubjectTokenVerifier = () =>
  Promise.reject(
    new Error('This function is not wired to verify subject tokens: pass subjectTokenVerification to lambdaHandler'),
  );

/** The rate limits of a function that changes no token (the authorizer, lists): a call is a wiring mistake. */
const keysNotWired: RateLimits = {
  keyChanged: () =>
    Promise.reject(new Error('This function is not wired to queue key changes: pass keyQueue to lambdaHandler')),
};

export function createRuntime(config: Config, parts: RuntimeParts = {}, wirings: Wiring[] = []): Runtime {
  const observability = createObservability(config);
  const documents =
    parts.documents ?? createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint });
  // Names ids and the step, never a key value.
  const onCompensationFailure: CompensationFailureReport = (error, step) =>
    observability.logger.error('Compensation failed; reconcile will repair', { step, error });
  const wired: RuntimeParts = Object.assign(
    {},
    ...wirings.map((wiring) => wiring(config, { documents, onCompensationFailure })),
    parts,
  );
  const clock = wired.clock ?? (() => new Date());
  const local = config.apiGateway
    ? undefined
    : new LocalRateLimits(new DynamoKeyOwners(documents, config.tableName), clock);
  return {
    ...observability,
    config,
    clock,
    ids: wired.ids ?? ids,
    documents,
    tokens: new DynamoTokenStore(documents, config.tableName, {
      auditRetentionDays: config.audit.retentionDays,
      rateLimitedMax: config.tokens.rateLimitedMax,
    }),
    events: new DynamoTokenEvents(documents, config.tableName),
    lifecycle: new DynamoTokenLifecycle(documents, config.tableName, config.audit.retentionDays),
    exposures: new DynamoTokenExposures(documents, config.tableName, config.audit.retentionDays),
    // Its retention: an ended incarnation's record lasts as long as its trail.
    directory: new DynamoDirectoryStore(documents, config.tableName, {
      auditRetentionDays: config.audit.retentionDays,
    }),
    rateLimits: wired.rateLimits ?? local ?? keysNotWired,
    usageKeys: wired.usageKeys ?? local ?? new PublishedUsageKeys(documents, config.tableName),
    verifyJwt: wired.verifyJwt ?? noJwtVerification,
    policies: new DynamoPolicyStore(
      documents,
      config.tableName,
      config.audit.retentionDays,
      config.tokens.rateLimitedMax,
    ),
    replay: new DynamoReplayGuard(documents, config.tableName),
    exchangeRecords: new DynamoExchangeRecords(documents, config.tableName, config.audit.retentionDays),
    verifySubjectToken: wired.verifySubjectToken ?? noSubjectTokenVerification,
    onCompensationFailure,
  };
}
