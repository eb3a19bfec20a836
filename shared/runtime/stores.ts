import { DynamoTokenEvents } from '../audit/event-store.js';
import { DynamoDirectoryStore } from '../directory/directory-store.js';
import { DynamoExchangeRecords, DynamoReplayGuard } from '../federation/exchange-store.js';
import { DynamoPolicyStore } from '../federation/policy-store.js';
import { DynamoTokenLifecycle } from '../lifecycle/lifecycle-store.js';
import { DynamoTokenExposures } from '../scanning/exposure-store.js';
import { DynamoCredentialStore } from '../tokens/credential-store.js';
import { DynamoTokenStore } from '../tokens/token-store.js';
import type { Base } from './base.js';

/**
 * Each feature's DynamoDB adapters, built on a function's table client. A Lambda entry
 * names the ones its endpoint uses (`lambdaHandler`), so its bundle carries those stores
 * and no others; the local runtime and the tests build them all (`runtime.ts`). Every
 * authenticated endpoint reads its caller's principal, so the directory comes with each.
 */

type Stores = (base: Base) => object;

const retention = (config: Base['config']) => ({ auditRetentionDays: config.audit.retentionDays });

// Each store once; the sets below name them. An ended incarnation's directory record lasts as long as its trail.
const directory = ({ documents, config }: Base) =>
  new DynamoDirectoryStore(documents, config.tableName, retention(config));
const credentials = ({ documents, config }: Base) =>
  new DynamoCredentialStore(documents, config.tableName, retention(config));
// A token or policy with a limit takes a place in the deployment's capacity (its ceiling).
const tokens = ({ documents, config }: Base) =>
  new DynamoTokenStore(documents, config.tableName, {
    ...retention(config),
    rateLimitedMax: config.tokens.rateLimitedMax,
  });
const events = ({ documents, config }: Base) => new DynamoTokenEvents(documents, config.tableName);
const policies = ({ documents, config }: Base) =>
  new DynamoPolicyStore(documents, config.tableName, config.audit.retentionDays, config.tokens.rateLimitedMax);

/** The directory: principals, members, users, incarnations. */
export const directoryStores = (base: Base) => ({ directory: directory(base) });

/** What authentication reads: tokens' credentials, and principals. */
export const authenticationStores = (base: Base) => ({ directory: directory(base), credentials: credentials(base) });

/** The token aggregate: tokens and their credentials. */
export const tokenStores = (base: Base) => ({ ...authenticationStores(base), tokens: tokens(base) });

/** The audit trail, as read (changes write their events with them). */
export const auditStores = (base: Base) => ({ directory: directory(base), events: events(base) });

/** Federation: policies, used subject tokens, and what exchanges write. */
export const federationStores = (base: Base) => ({
  directory: directory(base),
  policies: policies(base),
  replay: new DynamoReplayGuard(base.documents, base.config.tableName),
  exchangeRecords: new DynamoExchangeRecords(base.documents, base.config.tableName, base.config.audit.retentionDays),
});

/** Suspensions of tokens found in public (secret scanning). */
export const scanningStores = ({ documents, config }: Base) => ({
  exposures: new DynamoTokenExposures(documents, config.tableName, config.audit.retentionDays),
});

/** Expiry notices and unused-token suspension, on the table's sparse indexes. */
export const lifecycleStores = ({ documents, config }: Base) => ({
  lifecycle: new DynamoTokenLifecycle(documents, config.tableName, config.audit.retentionDays),
});

/** No store: a function that touches the table only through the base's client, if at all. */
export const noStores: Stores = () => ({});

/** Every store: the local runtime's and the tests'. */
export const allStores = (base: Base) => ({
  ...tokenStores(base),
  ...auditStores(base),
  ...federationStores(base),
  ...scanningStores(base),
  ...lifecycleStores(base),
});
