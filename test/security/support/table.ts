/**
 * What "nothing half-written" means for the single table, checked on a full scan:
 *
 * - every token item (`SA#<account>` / `TOKEN#<name>`) has exactly one credential item
 *   (`CRED#<lookupId>`) that agrees with it on account, name, status, maxRps, expiry,
 *   lastUsedAt, API key binding, the grace period of the secret a rotation replaced and
 *   the account's incarnation, and every credential belongs to such a token: a credential
 *   without its token would authenticate a token nobody can see or delete;
 * - each account's counter equals the number of its stored tokens: a counter that
 *   drifts up locks the account out early, one that drifts down lets it pass the limit.
 */
import { eventPartition } from '../../../shared/dynamodb/keys.js';

export type Item = Record<string, unknown>;

const SHARED_FIELDS = [
  'serviceAccountId',
  'name',
  'status',
  'maxRps',
  'expiresAt',
  'lastUsedAt',
  'apiKeyId',
  'usageKey',
  'previousSecret',
  'incarnation',
] as const;

const isToken = (item: Item) => String(item.pk).startsWith('SA#') && String(item.sk).startsWith('TOKEN#');
const isCredential = (item: Item) => String(item.pk).startsWith('CRED#');
const isCounter = (item: Item) => String(item.pk).startsWith('SA#') && item.sk === 'COUNTER';

export function tokenItems(items: Item[], account?: string): Item[] {
  return items.filter((item) => isToken(item) && (account === undefined || item.pk === `SA#${account}`));
}

/** Problems of the whole table, or (with `account`) of that account's tokens, credentials and counter. */
export function consistencyProblems(all: Item[], account?: string): string[] {
  const items =
    account === undefined
      ? all
      : all.filter((item) => item.pk === `SA#${account}` || (isCredential(item) && item.serviceAccountId === account));
  const problems: string[] = [];
  const credentials = new Map(items.filter(isCredential).map((item) => [String(item.pk).slice('CRED#'.length), item]));
  const claimed = new Set<string>();
  const tokensPerAccount = new Map<string, number>();
  for (const token of items.filter(isToken)) {
    const where = `${String(token.pk)}/${String(token.sk)}`;
    const account = String(token.pk).slice('SA#'.length);
    // Federated tokens are not counted in the account's limit.
    if (token.federation === undefined) tokensPerAccount.set(account, (tokensPerAccount.get(account) ?? 0) + 1);
    const lookupId = String(token.lookupId);
    const credential = credentials.get(lookupId);
    if (!credential) {
      problems.push(`${where}: no credential item CRED#${lookupId}`);
      continue;
    }
    if (claimed.has(lookupId)) problems.push(`${where}: credential CRED#${lookupId} is shared with another token`);
    claimed.add(lookupId);
    for (const field of SHARED_FIELDS) {
      const a = token[field] ?? null;
      const b = credential[field] ?? null;
      if (JSON.stringify(canonical(a)) !== JSON.stringify(canonical(b))) {
        problems.push(
          `${where}: ${field} is ${JSON.stringify(a)} on the token but ${JSON.stringify(b)} on its credential`,
        );
      }
    }
  }
  for (const lookupId of credentials.keys()) {
    if (!claimed.has(lookupId)) problems.push(`CRED#${lookupId}: credential without a token item`);
  }
  const counters = new Map(
    items.filter(isCounter).map((item) => [String(item.pk).slice('SA#'.length), Number(item.tokenCount ?? 0)]),
  );
  for (const account of new Set([...counters.keys(), ...tokensPerAccount.keys()])) {
    const stored = tokensPerAccount.get(account) ?? 0;
    const counted = counters.get(account) ?? 0;
    if (stored !== counted) problems.push(`SA#${account}: counter says ${counted} tokens, ${stored} are stored`);
  }
  return problems;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, inner]) => [key, canonical(inner)]),
    );
  }
  return value;
}

/** Item key to canonical JSON, for comparing whole tables. */
export function snapshot(items: Item[]): Map<string, string> {
  return new Map(items.map((item) => [`${String(item.pk)} ${String(item.sk)}`, JSON.stringify(canonical(item))]));
}

/** Each item added, removed or changed between two snapshots, by key. */
export function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [key, value] of after) {
    const old = before.get(key);
    if (old === undefined) found.push(`added ${key}`);
    else if (old !== value) found.push(`changed ${key}`);
  }
  for (const key of before.keys()) if (!after.has(key)) found.push(`removed ${key}`);
  return found.sort();
}

/**
 * The audit trail against the tokens, for tables written only through the API: every
 * token has its `token.created` event, every rotation its `token.rotated` event, every
 * suspension a `token.updated` event; and every created event names a token that exists
 * or whose `token.deleted` event exists. No change without its event, no event without
 * its change.
 */
export function auditProblems(items: Item[]): string[] {
  // Indexed by account, token and type: partial-failures checks a growing table after every attempt.
  const events = new Map<string, Item[]>();
  const byType = new Map<string, Item[]>();
  const add = (index: Map<string, Item[]>, key: string, event: Item) => {
    const list = index.get(key);
    if (list) list.push(event);
    else index.set(key, [event]);
  };
  for (const event of items) {
    if (!String(event.pk).startsWith('EVENTS#') || typeof event.type !== 'string') continue;
    add(events, `${String(event.serviceAccountId)}/${String(event.tokenName)}/${event.type}`, event);
    add(byType, event.type, event);
  }
  const has = (account: string, name: string, type: string, where?: (event: Item) => boolean) =>
    (events.get(`${account}/${name}/${type}`) ?? []).some((event) => where?.(event) ?? true);
  const tokens = new Map(
    items.filter(isToken).map((token) => [`${String(token.serviceAccountId)}/${String(token.name)}`, token]),
  );
  const problems: string[] = [];
  for (const token of tokens.values()) {
    if (token.pendingSince !== undefined) continue;
    const account = String(token.serviceAccountId);
    const name = String(token.name);
    // In the trail of the incarnation of the account the token was made for, and no other.
    const trail = eventPartition(account, typeof token.incarnation === 'string' ? token.incarnation : undefined);
    const inTrail = (event: Item) => event.pk === trail;
    if (!has(account, name, 'token.created', inTrail))
      problems.push(`${account}/${name}: no token.created event in its trail`);
    const rotatedAt = (event: Item) => (event.changes as { rotatedAt?: { after?: unknown } })?.rotatedAt?.after;
    const rotation = (event: Item) => inTrail(event) && rotatedAt(event) === token.rotatedAt;
    if (typeof token.rotatedAt === 'string' && !has(account, name, 'token.rotated', rotation)) {
      problems.push(`${account}/${name}: rotated at ${token.rotatedAt} without its token.rotated event`);
    }
    if (token.status === 'SUSPENDED' && !has(account, name, 'token.updated', inTrail)) {
      problems.push(`${account}/${name}: suspended without a token.updated event`);
    }
  }
  const ofType = (type: string) => byType.get(type) ?? [];
  for (const event of ofType('token.created')) {
    const key = `${String(event.serviceAccountId)}/${String(event.tokenName)}`;
    if (!tokens.has(key) && !has(String(event.serviceAccountId), String(event.tokenName), 'token.deleted'))
      problems.push(`${key}: a token.created event without its token`);
  }
  for (const event of ofType('token.rotated')) {
    const key = `${String(event.serviceAccountId)}/${String(event.tokenName)}`;
    const token = tokens.get(key);
    const rotatedAt = (event.changes as { rotatedAt?: { after?: unknown } })?.rotatedAt?.after;
    if (token && typeof token.rotatedAt === 'string' && String(rotatedAt) > token.rotatedAt)
      problems.push(`${key}: a token.rotated event of a rotation that did not happen`);
  }
  return problems;
}
