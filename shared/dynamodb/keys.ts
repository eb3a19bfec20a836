/**
 * Single-table key design: every key of every item, and nothing else, is spelled here.
 * Every item has `pk` and `sk`; nothing else is indexed.
 *
 * | item                                        | pk                | sk             |
 * |---------------------------------------------|-------------------|----------------|
 * | token (listed, managed)                     | `SA#<accountId>`  | `TOKEN#<name>` |
 * | token count of an account                   | `SA#<accountId>`  | `COUNTER`      |
 * | token credential (verified on every call)   | `CRED#<lookupId>` | `CRED`         |
 * | user (type, groups, domains, admin roles, where they manage tokens) | `USER#<userId>` | `PROFILE` |
 * | domain                                      | `DOMAIN#<domain>` | `DOMAIN`       |
 * | role of a domain                            | `DOMAIN#<domain>` | `ROLE#<name>`  |
 * | bundle of a domain                          | `DOMAIN#<domain>` | `BUNDLE#<key>` |
 * | member of a domain (listed)                 | `DOMAIN#<domain>` | `MEMBER#<userId>` |
 * | user (listed, for admins)                   | `USERLIST`        | `USER#<userId>` |
 * | usage plan record of earlier versions (read by the upgrade only) | `RATEPLANS` | `RATE#<N>` |
 * | the unthrottled and pooled keys' values (AWS, written at deploy) | `CONFIG` | `SHARED_USAGE_KEY` |
 * | reconcile's lease (one run at a time)       | `CONFIG`          | `RECONCILE_LEASE` |
 * | a shard of the count of rate-limited tokens and policies | `CAPACITY` | `SHARD#<n>` |
 * | audit event of an incarnation of an account | `EVENTS#<accountId>#<incarnation>` | `EVENT#<id>` |
 * | audit event of an account older than incarnations | `EVENTS#<accountId>` | `EVENT#<id>` |
 * | an incarnation of an account (its start, end, groups) | `EVENTS#<accountId>` | `INCARNATION#<incarnation>` |
 * | federation policy of an account             | `SA#<accountId>`  | `FEDPOLICY#<policyId>` |
 * | federation policy count of an account       | `SA#<accountId>`  | `FEDCOUNTER`   |
 * | a subject token's `jti`, used once (until its `exp`) | `JTI#<digest of iss and jti>` | `JTI` |
 *
 * Two sparse global secondary indexes serve the lifecycle job (`shared/lifecycle/`); only
 * token items carry their keys (see `LIFECYCLE_INDEXES`). A third, `ratekeys`, holds the
 * tokens and policies that have or need an API key of their own (see `RATE_KEY_INDEX`).
 */
export interface ItemKey {
  pk: string;
  sk: string;
}

const ACCOUNT = 'SA#';
const TOKEN = 'TOKEN#';
const CREDENTIAL = 'CRED#';
const USER = 'USER#';
const DOMAIN = 'DOMAIN#';
const RATE_PLANS = 'RATEPLANS';
const CONFIG = 'CONFIG';
const CAPACITY = 'CAPACITY';
const USER_LIST = 'USERLIST';
const MEMBER = 'MEMBER#';
const EVENTS = 'EVENTS#';
const EVENT = 'EVENT#';
const INCARNATION = 'INCARNATION#';
const LIFECYCLE = 'LIFECYCLE#';
const RATE_KEY = 'RATEKEY#';
const POLICY = 'FEDPOLICY#';
const REPLAY = 'JTI#';

export const keys = {
  token: (accountId: string, name: string): ItemKey => ({ pk: `${ACCOUNT}${accountId}`, sk: `${TOKEN}${name}` }),
  counter: (accountId: string): ItemKey => ({ pk: `${ACCOUNT}${accountId}`, sk: 'COUNTER' }),
  credential: (lookupId: string): ItemKey => ({ pk: `${CREDENTIAL}${lookupId}`, sk: 'CRED' }),
  profile: (userId: string): ItemKey => ({ pk: `${USER}${userId}`, sk: 'PROFILE' }),
  domain: (domain: string): ItemKey => ({ pk: `${DOMAIN}${domain}`, sk: 'DOMAIN' }),
  role: (domain: string, name: string): ItemKey => ({ pk: `${DOMAIN}${domain}`, sk: `ROLE#${name}` }),
  bundle: (domain: string, key: string): ItemKey => ({ pk: `${DOMAIN}${domain}`, sk: `BUNDLE#${key}` }),
  member: (domain: string, userId: string): ItemKey => ({ pk: `${DOMAIN}${domain}`, sk: `${MEMBER}${userId}` }),
  listedUser: (userId: string): ItemKey => ({ pk: USER_LIST, sk: `${USER}${userId}` }),
  ratePlan: (rps: number): ItemKey => ({ pk: RATE_PLANS, sk: `RATE#${rps}` }),
  sharedUsageKey: (): ItemKey => ({ pk: CONFIG, sk: 'SHARED_USAGE_KEY' }),
  reconcileLease: (): ItemKey => ({ pk: CONFIG, sk: 'RECONCILE_LEASE' }),
  tierPlans: (): ItemKey => ({ pk: CONFIG, sk: 'TIER_PLANS' }),
  capacityShard: (shard: number): ItemKey => ({ pk: CAPACITY, sk: `SHARD#${shard}` }),
  event: (accountId: string, id: string, incarnation?: string): ItemKey => ({
    pk: eventPartition(accountId, incarnation),
    sk: `${EVENT}${id}`,
  }),
  incarnation: (accountId: string, incarnation: string): ItemKey => ({
    pk: `${EVENTS}${accountId}`,
    sk: `${INCARNATION}${incarnation}`,
  }),
  policy: (accountId: string, policyId: string): ItemKey => ({
    pk: `${ACCOUNT}${accountId}`,
    sk: `${POLICY}${policyId}`,
  }),
  policyCounter: (accountId: string): ItemKey => ({ pk: `${ACCOUNT}${accountId}`, sk: 'FEDCOUNTER' }),
  /** `digest`: of the issuer and the jti together, so that issuers cannot collide and any jti fits a key. */
  replay: (digest: string): ItemKey => ({ pk: `${REPLAY}${digest}`, sk: 'JTI' }),
} as const;

/** Key prefixes, for queries over a partition and for recognising an item's kind in a scan. */
export const prefixes = {
  account: ACCOUNT,
  token: TOKEN,
  credential: CREDENTIAL,
  user: USER,
  domain: DOMAIN,
  member: MEMBER,
  event: EVENT,
  incarnation: INCARNATION,
  policy: POLICY,
} as const;

/**
 * The partition of the audit events of one incarnation of an account: an account removed
 * from the directory and later re-added under the same id is another account, with a
 * trail of its own. Accounts created before incarnations existed have none (undefined):
 * their trail keeps its old partition.
 */
export function eventPartition(accountId: string, incarnation?: string): string {
  return incarnation === undefined ? `${EVENTS}${accountId}` : `${EVENTS}${accountId}#${incarnation}`;
}
/** Whether an item is an audit event (what the stream forwards). */
export const isEventItem = (item: ItemKey): boolean => item.pk.startsWith(EVENTS) && item.sk.startsWith(EVENT);

/**
 * The table's partitions by kind, as IAM patterns: each function's role names the kinds
 * it reads or writes (`dynamodb:LeadingKeys`, see infra/routes.ts), and nothing else.
 */
export const PARTITIONS = {
  account: `${ACCOUNT}*`,
  credential: `${CREDENTIAL}*`,
  user: `${USER}*`,
  domain: `${DOMAIN}*`,
  userList: USER_LIST,
  ratePlans: RATE_PLANS,
  config: CONFIG,
  capacity: CAPACITY,
  events: `${EVENTS}*`,
  lifecycle: `${LIFECYCLE}*`,
  rateKeys: `${RATE_KEY}*`,
  replay: `${REPLAY}*`,
} as const;
export type Partition = keyof typeof PARTITIONS;

/** The kind of partition a `pk` belongs to (undefined for none of ours). */
export function partitionOf(pk: string): Partition | undefined {
  for (const [kind, pattern] of Object.entries(PARTITIONS) as [Partition, string][]) {
    if (pattern.endsWith('*') ? pk.startsWith(pattern.slice(0, -1)) : pk === pattern) return kind;
  }
  return undefined;
}

/** The one partition of the rate plan records earlier versions kept (the upgrade reads it). */
export const ratePlanPartition = RATE_PLANS;

/** The one partition of the capacity counter's shards, read with one query. */
export const capacityPartition = CAPACITY;

/** The partition of an account's tokens (and its counter). */
export const accountPartition = (accountId: string): string => `${ACCOUNT}${accountId}`;

/** The one partition listing every user, for admins (a page at a time, by id). */
export const userListPartition = USER_LIST;

/** Whether an item belongs to the directory (users, domains, roles, bundles, members, the user list). */
export const isDirectoryItem = (item: ItemKey): boolean =>
  item.pk.startsWith(USER) || item.pk.startsWith(DOMAIN) || item.pk === USER_LIST;

/** Name of the TTL attribute (epoch seconds) on token items. */
export const TTL_ATTRIBUTE = 'expiresAtTtl';

/**
 * The lifecycle job's indexes: a token item is in `notices` while an expiry notice is
 * still to come (`noticeAt`, when the next one is due) and in `idle` while it is active
 * (`activeDay`, the UTC day of its last use, or of its creation or reactivation). Both are
 * keyed by a small shard, so the job reads only the tokens due, a few queries whatever
 * the number of tokens, and no partition of an index takes every write.
 */
export const LIFECYCLE_INDEXES = {
  notices: { name: 'notices', partitionKey: 'lifecycleShard', sortKey: 'noticeAt' },
  idle: { name: 'idle', partitionKey: 'lifecycleShard', sortKey: 'activeDay' },
} as const;

/** Shards of the lifecycle indexes: the job queries each. */
export const LIFECYCLE_SHARDS = 4;

/** The lifecycle shard of a token, from its (random) lookup id. */
export function lifecycleShard(lookupId: string): string {
  let sum = 0;
  for (const char of lookupId) sum += char.charCodeAt(0);
  return `${LIFECYCLE}${sum % LIFECYCLE_SHARDS}`;
}

/** Every lifecycle shard, in order. */
export const lifecycleShards = (): string[] => Array.from({ length: LIFECYCLE_SHARDS }, (_, i) => `${LIFECYCLE}${i}`);

/**
 * The rate keys index: a token or policy item is in it while it has, or should have, an
 * API key of its own (a `maxRps`, or a key not yet deleted), keyed by a small shard.
 * Reconcile reads it, a few queries, instead of scanning the table.
 */
export const RATE_KEY_INDEX = { name: 'ratekeys', partitionKey: 'keyShard' } as const;

/** Shards of the rate keys index: reconcile queries each. */
export const RATE_KEY_SHARDS = 4;

/** The rate keys shard of a token or policy, from its (random) lookup or policy id. */
export function rateKeyShard(id: string): string {
  let sum = 0;
  for (const char of id) sum += char.charCodeAt(0);
  return `${RATE_KEY}${sum % RATE_KEY_SHARDS}`;
}

/** Every rate keys shard, in order. */
export const rateKeyShards = (): string[] => Array.from({ length: RATE_KEY_SHARDS }, (_, i) => `${RATE_KEY}${i}`);

/** The UTC day of an instant, as the `idle` index sorts it (`YYYY-MM-DD`). */
export const utcDay = (at: Date | string): string => (typeof at === 'string' ? at : at.toISOString()).slice(0, 10);
