import type { PreviousSecret, RetiredSecret, TokenCredential, TokenRecord, TokenSuspension } from '../kernel/model.js';
import type { NewToken, StoredToken, TokenChanges } from './ports.js';
import type { TokenBinding } from '../kernel/model.js';
import { nextNoticeAt } from '../lifecycle/notices.js';
import { keys, lifecycleShard, rateKeyShard, TTL_ATTRIBUTE, utcDay } from '../dynamodb/keys.js';
import { restrictionsOf } from '../kernel/restrictions.js';

/**
 * A token is two items: the listed token under its account (what owners see and
 * manage) and the credential under its lookup id (what the authorizer reads, in one
 * `GetItem`, on every call). This module maps between them and the domain's records.
 */

const RECORD_FIELDS = [
  'serviceAccountId',
  'name',
  'lookupId',
  'prefix',
  'status',
  'maxRps',
  'expiresAt',
  'createdAt',
  'createdBy',
  'updatedAt',
  'lastUsedAt',
  'rotatedAt',
  'rotatedBy',
  'previousSecret',
] as const;

/** The attributes of a binding (`TokenBinding`): the key worker writes them, on both items of a token. */
export const BINDING_FIELDS = ['apiKeyId', 'usageKey', 'keyPlanId', 'keyRps', 'keyReadyAt'] as const;

/** The attributes a token and its credential have in common, and keep in step. */
export const SHARED_FIELDS = ['status', 'maxRps', 'scopes', 'allowedCidrs'] as const;

/** The key binding stored on an item, when it has one. */
export function bindingOf(item: object): Partial<TokenBinding> {
  const binding: Record<string, unknown> = {};
  for (const field of BINDING_FIELDS) {
    const value = (item as Record<string, unknown>)[field];
    if (typeof value === (field === 'keyRps' ? 'number' : 'string')) binding[field] = value;
  }
  return binding as Partial<TokenBinding>;
}

function isPreviousSecret(value: unknown): value is PreviousSecret {
  return typeof (value as PreviousSecret | undefined)?.validUntil === 'string';
}

function isSuspension(value: unknown): value is TokenSuspension {
  const reason = (value as TokenSuspension | undefined)?.reason;
  return (reason === 'MANUAL' || reason === 'SECRET_SCANNING' || reason === 'UNUSED') && typeof value === 'object';
}

/** A change to an item: attributes set and removed. */
export type Change = { set: Record<string, unknown>; remove: string[] };

/**
 * What the token item takes beyond what it shares with the credential. It is in the `idle`
 * index exactly while it is active: a suspension takes it out, and a reactivation puts it
 * back with its idle time counted from that day, so the job does not suspend again at once
 * a token its owner just reactivated. And why it is suspended, with its suspension (null:
 * removed; undefined: left as it is): only owners read it, the authorizer needs the status.
 */
export function tokenItemChange(
  before: string,
  after: string,
  at: string,
  { set, remove }: Change,
  suspension: TokenSuspension | null | undefined,
): Change {
  const idle: Change =
    before === after
      ? { set, remove }
      : after === 'ACTIVE'
        ? { set: { ...set, activeDay: utcDay(at) }, remove }
        : { set, remove: [...remove, 'activeDay'] };
  if (suspension === undefined) return idle;
  if (suspension === null) return { ...idle, remove: [...idle.remove, 'suspension'] };
  return { ...idle, set: { ...idle.set, suspension } };
}

/** The well-formed entries of a stored list of retired secrets. */
function retiredSecretsOf(value: unknown): RetiredSecret[] {
  if (!Array.isArray(value)) return [];
  return value.filter((entry: Partial<RetiredSecret> | null) => {
    return typeof entry?.hash === 'string' && typeof entry.retiredAt === 'string';
  }) as RetiredSecret[];
}

/** A listed token item as the domain sees it, with its key binding when it has one. */
export function toStoredToken(item: Record<string, unknown>): StoredToken {
  const record = Object.fromEntries(
    RECORD_FIELDS.map((field) => [field, item[field] ?? null]),
  ) as unknown as TokenRecord;
  if (!isPreviousSecret(record.previousSecret)) record.previousSecret = null;
  const federation = item.federation as TokenRecord['federation'] | undefined;
  if (typeof federation?.policyId === 'string')
    record.federation = { policyId: federation.policyId, policyName: String(federation.policyName) };
  if (typeof item.incarnation === 'string') record.incarnation = item.incarnation;
  if (isSuspension(item.suspension)) record.suspension = item.suspension;
  return {
    ...record,
    ...restrictionsOf(item),
    ...bindingOf(item),
    ...(typeof item.pendingSince === 'string' ? { pendingSince: item.pendingSince } : {}),
    ...(typeof item.capacityShard === 'number' ? { capacityShard: item.capacityShard } : {}),
  };
}

/** The record alone, without the binding (what lists hand out). */
export function withoutBinding(token: StoredToken): TokenRecord {
  const record: Record<string, unknown> = { ...token };
  for (const field of [...BINDING_FIELDS, 'pendingSince', 'capacityShard']) delete record[field];
  return record as unknown as TokenRecord;
}

export function toCredential(
  item: Record<string, unknown>,
): TokenCredential & Partial<TokenBinding> & { pendingSince?: string } {
  return {
    lookupId: item.lookupId as string,
    serviceAccountId: item.serviceAccountId as string,
    name: item.name as string,
    secretHash: item.secretHash as string,
    status: item.status as TokenCredential['status'],
    maxRps: (item.maxRps as number | null | undefined) ?? null,
    expiresAt: (item.expiresAt as string | null | undefined) ?? null,
    lastUsedAt: (item.lastUsedAt as string | null | undefined) ?? null,
    ...(typeof item.previousSecretHash === 'string' ? { previousSecretHash: item.previousSecretHash } : {}),
    ...(isPreviousSecret(item.previousSecret) ? { previousSecret: item.previousSecret } : {}),
    ...(Array.isArray(item.retiredSecrets) ? { retiredSecrets: retiredSecretsOf(item.retiredSecrets) } : {}),
    ...(typeof item.reuseReportedAt === 'string' ? { reuseReportedAt: item.reuseReportedAt } : {}),
    ...(typeof item.incarnation === 'string' ? { incarnation: item.incarnation } : {}),
    ...restrictionsOf(item),
    ...(typeof item.networkRefusalReportedAt === 'string'
      ? { networkRefusalReportedAt: item.networkRefusalReportedAt }
      : {}),
    ...bindingOf(item),
    ...(typeof item.pendingSince === 'string' ? { pendingSince: item.pendingSince } : {}),
  };
}

/**
 * The lifecycle attributes of a new token item: its shard, its first expiry notice (none
 * without an expiry) and, while active, the day its idle time counts from (its creation).
 * A federated token has none: it lives minutes, its expiry is the point, and a notice for
 * each CI job's token would bury the ones owners need. Without a shard it is in neither
 * index, whatever else is later set on it.
 */
export function lifecycleFields(
  record: Pick<TokenRecord, 'lookupId' | 'expiresAt' | 'createdAt' | 'status' | 'federation'>,
): Record<string, string> {
  if (record.federation) return {};
  const noticeAt = nextNoticeAt(record.expiresAt, record.createdAt);
  return {
    lifecycleShard: lifecycleShard(record.lookupId),
    ...(noticeAt === undefined ? {} : { noticeAt }),
    ...(record.status === 'ACTIVE' ? { activeDay: utcDay(record.createdAt) } : {}),
  };
}

/**
 * The rate-limit attributes of a token item: with a limit (never a federated token's: its
 * key is its policy's) it is in the rate keys index and holds its place in the capacity.
 */
export function rateLimitFields(
  record: Pick<TokenRecord, 'lookupId' | 'maxRps' | 'federation'>,
  capacityShard: number | undefined,
): Record<string, string | number> {
  if (record.maxRps === null || record.federation) return {};
  return { keyShard: rateKeyShard(record.lookupId), ...(capacityShard === undefined ? {} : { capacityShard }) };
}

/** Both items of a new token (`capacityShard`: the place a token with a limit took). */
export function newTokenItems(
  { record, secretHash, removeAfter, binding }: NewToken,
  capacityShard?: number,
): {
  token: Record<string, unknown>;
  credential: Record<string, unknown>;
} {
  const ttl = removeAfter === null ? {} : { [TTL_ATTRIBUTE]: removeAfter };
  return {
    token: {
      ...keys.token(record.serviceAccountId, record.name),
      ...record,
      ...lifecycleFields(record),
      ...rateLimitFields(record, capacityShard),
      ...binding,
      ...ttl,
    },
    credential: { ...keys.credential(record.lookupId), ...credentialOf(record, secretHash), ...binding, ...ttl },
  };
}

/**
 * What a new token's credential holds, before any use: the one place that says which of the
 * record's fields the authorizer reads, so every store (DynamoDB's and the in-memory one, the
 * exchange's too) writes the same credential and a new field cannot reach one and miss another.
 */
export function credentialOf(record: TokenRecord, secretHash: string): Omit<TokenCredential, 'lastUsedAt'> {
  return {
    lookupId: record.lookupId,
    serviceAccountId: record.serviceAccountId,
    name: record.name,
    secretHash,
    status: record.status,
    maxRps: record.maxRps,
    expiresAt: record.expiresAt,
    ...(record.incarnation === undefined ? {} : { incarnation: record.incarnation }),
    ...(record.scopes === undefined ? {} : { scopes: record.scopes }),
    ...(record.allowedCidrs === undefined ? {} : { allowedCidrs: record.allowedCidrs }),
  };
}

/** A token as a change leaves it: what the store writes and answers, in every adapter alike. */
export function changedToken(current: StoredToken, changes: TokenChanges, updatedAt: string): StoredToken {
  return {
    ...current,
    ...(changes.status === undefined ? {} : { status: changes.status }),
    ...(changes.maxRps === undefined ? {} : { maxRps: changes.maxRps }),
    ...(changes.scopes === undefined ? {} : { scopes: changes.scopes }),
    ...(changes.allowedCidrs === undefined ? {} : { allowedCidrs: changes.allowedCidrs }),
    ...(changes.suspension === undefined ? {} : { suspension: changes.suspension }),
    updatedAt,
  };
}
