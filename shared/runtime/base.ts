import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JwtVerifier } from '../auth/jwt.js';
import { createDocumentClient } from '../dynamodb/client.js';
import type { SubjectTokenVerifier } from '../federation/ports.js';
import { createObservability, type Observability } from '../http/observability.js';
import type { Config } from '../kernel/config.js';
import { ids } from '../kernel/ids.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';
import type { UsageKeys } from '../auth/ports.js';
import { DynamoKeyOwners } from '../ratelimit/key-owners.js';
import { LocalRateLimits } from '../ratelimit/local-rate-limits.js';
import { PublishedUsageKeys } from '../ratelimit/usage-keys.js';
import type { RateLimits } from '../tokens/ports.js';

/**
 * What every function is built on, whatever it does: configuration, logs and metrics,
 * time, randomness, the table's client, the rate limiter, the verifiers, and the report
 * of a failed undo. Each feature's stores are built on it (`stores.ts`). Building it
 * does no I/O.
 */
export interface Base extends Observability {
  config: Config;
  clock: Clock;
  ids: IdGenerator;
  documents: DynamoDBDocumentClient;
  /** Where token and policy changes tell the key worker (its queue in AWS; inline locally). */
  rateLimits: RateLimits;
  /** The API key each call presents (the authorizer's). */
  usageKeys: UsageKeys;
  verifyJwt: JwtVerifier;
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
export type Wiring = (config: Config, base: Pick<Base, 'documents' | 'onCompensationFailure'>) => RuntimeParts;

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

export function createBase(config: Config, parts: RuntimeParts = {}, wirings: Wiring[] = []): Base {
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
  // Locally the key worker runs inline, and the same object names each call's key.
  const local = config.apiGateway
    ? undefined
    : new LocalRateLimits(new DynamoKeyOwners(documents, config.tableName), clock);
  return {
    ...observability,
    config,
    clock,
    ids: wired.ids ?? ids,
    documents,
    rateLimits: wired.rateLimits ?? local ?? keysNotWired,
    usageKeys: wired.usageKeys ?? local ?? new PublishedUsageKeys(documents, config.tableName),
    verifyJwt: wired.verifyJwt ?? noJwtVerification,
    verifySubjectToken: wired.verifySubjectToken ?? noSubjectTokenVerification,
    onCompensationFailure,
  };
}
