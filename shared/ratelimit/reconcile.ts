import { randomUUID } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../kernel/ports.js';
import { enforcedRate } from '../kernel/rate-tiers.js';
import type { KeyOwner } from '../tokens/ports.js';
import { absent, either, equals, expression, lessThan, updateExpression } from '../dynamodb/expressions.js';
import { keys, prefixes } from '../dynamodb/keys.js';
import { CAPACITY_SHARDS, shardCounts } from '../dynamodb/rate-limit-capacity.js';
import type { ApiGateway } from './api-gateway.mjs';
import { type ApiStage, keyNamePrefix } from './gateway-names.js';
import type { Pacer } from './pacer.js';
import { rateKeyIndexItems } from './key-index.js';

/** What reconcile can find out of step between the table and API Gateway, each repaired by the key worker. */
export type DriftKind =
  /** An owner with a limit and no key, or whose key API Gateway no longer has. */
  | 'missing-key'
  /** An owner's key not in the plan of its tier (alone), or not recorded there. */
  | 'wrong-plan'
  /** An owner without a limit still holding a key, or still in the index. */
  | 'unneeded-key'
  /** A key of ours no owner holds (a lost message, a TTL-removed token). */
  | 'orphan-key'
  /** An index entry reconcile cannot read as an owner: missing data is a failure, never "in step". */
  | 'unreadable-owner';

export interface Drift {
  kind: DriftKind;
  /** A token's lookup id, a policy id or a key id; never a key value. */
  subject: string;
  detail: string;
  /** Set when repairs were applied: whether the work was queued for the key worker. */
  queued?: boolean;
}

export interface ReconcileReport {
  /** Every API key of the account in this Region, ours or not: the quota of 10,000 is theirs together. */
  regionKeys: number;
  ownKeys: number;
  /** Tokens and policies in the rate keys index, and those of them with a limit. */
  owners: number;
  limited: number;
  drift: Drift[];
  /** Capacity shards whose count was above what the index holds (TTL removals), set back. */
  recounted: number;
}

export interface ReconcileParts {
  documents: DynamoDBDocumentClient;
  tableName: string;
  gateway: ApiGateway;
  /** Paces reconcile's own calls (a share of the account's control-plane quota, beside the worker's). */
  pacer: Pacer;
  stage: ApiStage;
  tierPlans: Map<number, string>;
  queue: { recheck(owner: KeyOwner): Promise<void>; orphan(keyId: string): Promise<void> };
  clock: Clock;
  /** Keys younger than this are never orphans: the worker may be between making one and recording it. @default 900 */
  orphanGraceSeconds?: number;
}

interface IndexedOwner {
  owner: KeyOwner | undefined;
  subject: string;
  maxRps: number | null;
  apiKeyId?: string;
  keyPlanId?: string;
  keyRps?: number;
  capacityShard?: number;
}

/** Every owner in the rate keys index. */
async function indexedOwners(parts: ReconcileParts): Promise<IndexedOwner[]> {
  const owners: IndexedOwner[] = [];
  for await (const item of rateKeyIndexItems(parts.documents, parts.tableName)) owners.push(ownerOf(item));
  return owners;
}

function ownerOf(item: Record<string, unknown>): IndexedOwner {
  const [pk, sk] = [String(item.pk), String(item.sk)];
  const accountId = pk.slice(prefixes.account.length);
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const owner: KeyOwner | undefined =
    sk.startsWith(prefixes.token) && text(item.lookupId)
      ? {
          kind: 'token',
          serviceAccountId: accountId,
          name: sk.slice(prefixes.token.length),
          lookupId: String(item.lookupId),
        }
      : sk.startsWith(prefixes.policy) && text(item.policyId)
        ? { kind: 'policy', serviceAccountId: accountId, policyId: String(item.policyId) }
        : undefined;
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  return {
    owner,
    subject: text(item.lookupId) ?? text(item.policyId) ?? `${pk} ${sk}`,
    maxRps: number(item.maxRps) ?? null,
    ...(text(item.apiKeyId) ? { apiKeyId: String(item.apiKeyId) } : {}),
    ...(text(item.keyPlanId) ? { keyPlanId: String(item.keyPlanId) } : {}),
    ...(number(item.keyRps) === undefined ? {} : { keyRps: number(item.keyRps) }),
    ...(number(item.capacityShard) === undefined ? {} : { capacityShard: number(item.capacityShard) }),
  };
}

/** Every page of a listing, each call paced. */
async function everyPage<T>(
  parts: ReconcileParts,
  page: (position?: string) => Promise<{ items?: T[]; position?: string }>,
) {
  const items: T[] = [];
  let position: string | undefined;
  do {
    const answer = await parts.pacer.call(() => page(position));
    items.push(...(answer.items ?? []));
    position = answer.position;
  } while (position);
  return items;
}

/**
 * Finds what is out of step between the tokens and policies with keys (the rate keys
 * index) and API Gateway's keys and tier plans, and, with `apply`, queues each for the key
 * worker, the one place that changes keys. It reads the index (eventually consistent:
 * the worker reads each owner again before acting), every key of the account (paced, 500
 * a page, without values) and each tier plan's keys. A read that fails fails the run.
 * It also sets back capacity shards that count more than the index holds.
 */
export async function reconcileRateLimits(
  parts: ReconcileParts,
  options: { apply: boolean },
): Promise<ReconcileReport> {
  const now = parts.clock().getTime();
  const grace = (parts.orphanGraceSeconds ?? 900) * 1000;
  const counts = options.apply ? await shardCounts({ client: parts.documents, tableName: parts.tableName }) : [];
  const owners = await indexedOwners(parts);
  const { gateway, stage } = parts;
  const allKeys = await everyPage(parts, (position) =>
    gateway.getApiKeys({ limit: 500, includeValues: false, position }),
  );
  const prefix = keyNamePrefix(stage);
  const ownKeys = new Map(allKeys.filter((key) => key.id && key.name?.startsWith(prefix)).map((key) => [key.id!, key]));
  const planOfKey = new Map<string, string[]>();
  for (const planId of parts.tierPlans.values()) {
    const members = await everyPage(parts, (position) =>
      gateway.getUsagePlanKeys({ usagePlanId: planId, limit: 500, position }),
    );
    for (const { id } of members) if (id) planOfKey.set(id, [...(planOfKey.get(id) ?? []), planId]);
  }

  const drift: Drift[] = [];
  const found = async (entry: Drift, queue: () => Promise<void>) => {
    drift.push(entry);
    if (!options.apply) return;
    try {
      await queue();
      entry.queued = true;
    } catch {
      entry.queued = false;
    }
  };
  const held = new Set<string>();
  for (const indexed of owners) {
    const { owner, subject, maxRps, apiKeyId } = indexed;
    if (apiKeyId !== undefined) held.add(apiKeyId);
    if (!owner) {
      await found({ kind: 'unreadable-owner', subject, detail: 'an index entry without its owner’s ids' }, () =>
        Promise.reject(new Error('unreadable')),
      );
      continue;
    }
    const queue = () => parts.queue.recheck(owner);
    if (maxRps === null) {
      const detail = apiKeyId === undefined ? 'no limit, no key, still indexed' : `no limit, but key ${apiKeyId}`;
      await found({ kind: 'unneeded-key', subject, detail }, queue);
      continue;
    }
    if (apiKeyId === undefined || !ownKeys.has(apiKeyId)) {
      const detail = apiKeyId === undefined ? `maxRps ${maxRps}, no key` : `its key ${apiKeyId} does not exist`;
      await found({ kind: 'missing-key', subject, detail }, queue);
      continue;
    }
    const tier = enforcedRate(maxRps);
    const planId = parts.tierPlans.get(tier);
    const plans = planOfKey.get(apiKeyId) ?? [];
    if (indexed.keyPlanId !== planId || indexed.keyRps !== tier || plans.length !== 1 || plans[0] !== planId) {
      const recorded = indexed.keyPlanId ?? 'none';
      const detail = `key ${apiKeyId} is in [${plans.join(', ')}], recorded in ${recorded}; tier ${tier} is ${planId}`;
      await found({ kind: 'wrong-plan', subject, detail }, queue);
    }
  }
  // Only keys named as the worker names them (earlier versions' keys are the upgrade's to remove).
  const workerKey = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[0-9A-Za-z]+$`);
  for (const [id, key] of ownKeys) {
    if (held.has(id) || !workerKey.test(key.name!) || (key.createdDate && now - key.createdDate.getTime() < grace))
      continue;
    await found({ kind: 'orphan-key', subject: id, detail: `${key.name} is held by no token or policy` }, () =>
      parts.queue.orphan(id),
    );
  }
  const recounted = options.apply ? await recount(parts, counts, owners) : 0;
  const limited = owners.filter((owner) => owner.maxRps !== null).length;
  return { regionKeys: allKeys.length, ownKeys: ownKeys.size, owners: owners.length, limited, drift, recounted };
}

/**
 * Sets back each capacity shard that counts more owners than the index holds in it
 * (DynamoDB TTL removes expired tokens without giving their place back), only if no write
 * moved it since it was read, before the index was: a count is never set below a place
 * taken after that read.
 */
async function recount(
  parts: ReconcileParts,
  counts: { count: number; version?: number }[],
  owners: IndexedOwner[],
): Promise<number> {
  let recounted = 0;
  for (let shard = 0; shard < CAPACITY_SHARDS; shard++) {
    const indexed = owners.filter((owner) => owner.capacityShard === shard && owner.maxRps !== null).length;
    const stored = counts[shard];
    if (!stored || indexed >= stored.count) continue;
    try {
      await parts.documents.send(
        new UpdateCommand({
          TableName: parts.tableName,
          Key: keys.capacityShard(shard),
          ...updateExpression({
            set: { count: indexed },
            add: { version: 1 },
            condition: equals('version', stored.version),
          }),
        }),
      );
      recounted += 1;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
  return recounted;
}

/** How long a run may hold the lease: past it, the next run takes over (this one died). */
const LEASE_MS = 15 * 60_000;

/** Runs `run` if no other reconcile holds the lease (an item of its own); undefined when one does. */
export async function underLease<T>(
  parts: Pick<ReconcileParts, 'documents' | 'tableName' | 'clock'>,
  run: () => Promise<T>,
): Promise<T | undefined> {
  const holder = randomUUID();
  const now = parts.clock().getTime();
  try {
    await parts.documents.send(
      new PutCommand({
        TableName: parts.tableName,
        Item: { ...keys.reconcileLease(), holder, until: now + LEASE_MS },
        ...expression({ condition: either(absent('pk'), lessThan('until', now)) }),
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
  try {
    return await run();
  } finally {
    await parts.documents.send(
      new DeleteCommand({
        TableName: parts.tableName,
        Key: keys.reconcileLease(),
        ...expression({ condition: equals('holder', holder) }),
      }),
    );
  }
}
