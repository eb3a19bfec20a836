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
 * | usage plan for `maxRps = N` (AWS)           | `RATEPLANS`       | `RATE#<N>`     |
 * | rate-limit key (local gateway only)         | `LOCALKEY#<key>`  | `LOCALKEY`     |
 * | the shared unthrottled key's value (AWS, written at deploy) | `CONFIG` | `SHARED_USAGE_KEY` |
 * | audit event of an account's tokens         | `EVENTS#<accountId>` | `EVENT#<id>` |
 * | federation policy of an account             | `SA#<accountId>`  | `FEDPOLICY#<policyId>` |
 * | federation policy count of an account       | `SA#<accountId>`  | `FEDCOUNTER`   |
 * | a subject token's `jti`, used once (until its `exp`) | `JTI#<digest of iss and jti>` | `JTI` |
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
const LOCAL_KEY = 'LOCALKEY#';
const CONFIG = 'CONFIG';
const EVENTS = 'EVENTS#';
const EVENT = 'EVENT#';
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
  ratePlan: (rps: number): ItemKey => ({ pk: RATE_PLANS, sk: `RATE#${rps}` }),
  localKey: (usageKey: string): ItemKey => ({ pk: `${LOCAL_KEY}${usageKey}`, sk: 'LOCALKEY' }),
  sharedUsageKey: (): ItemKey => ({ pk: CONFIG, sk: 'SHARED_USAGE_KEY' }),
  event: (accountId: string, id: string): ItemKey => ({ pk: `${EVENTS}${accountId}`, sk: `${EVENT}${id}` }),
  policy: (accountId: string, policyId: string): ItemKey => ({ pk: `${ACCOUNT}${accountId}`, sk: `${POLICY}${policyId}` }),
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
  event: EVENT,
  policy: POLICY,
} as const;

/** The partition of an account's audit events. */
export const eventPartition = (accountId: string): string => `${EVENTS}${accountId}`;
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
  ratePlans: RATE_PLANS,
  config: CONFIG,
  localKey: `${LOCAL_KEY}*`,
  events: `${EVENTS}*`,
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

/** The one partition holding every rate plan record, read with one query. */
export const ratePlanPartition = RATE_PLANS;

/** The partition of an account's tokens (and its counter). */
export const accountPartition = (accountId: string): string => `${ACCOUNT}${accountId}`;

/** Whether an item is a listed token: the account partition, a `TOKEN#` sort key. */
export const isTokenItem = (item: ItemKey): boolean => item.pk.startsWith(ACCOUNT) && item.sk.startsWith(TOKEN);
/** Whether an item belongs to the directory (users, domains, roles, bundles). */
export const isDirectoryItem = (item: ItemKey): boolean => item.pk.startsWith(USER) || item.pk.startsWith(DOMAIN);

/** Name of the TTL attribute (epoch seconds) on token items. */
export const TTL_ATTRIBUTE = 'expiresAtTtl';
