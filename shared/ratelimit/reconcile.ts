import { randomUUID } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../kernel/ports.js';
import type { KeyOwner } from '../tokens/ports.js';
import { absent, either, equals, expression, lessThan, updateExpression } from '../dynamodb/expressions.js';
import { keys, prefixes } from '../dynamodb/keys.js';
import { CAPACITY_SHARDS, shardCounts } from '../dynamodb/rate-limit-capacity.js';
import type { ApiGateway } from './api-gateway.mjs';
import { tierPlan } from './aws-keys.js';
import { type ApiStage, keyNamePrefix } from './gateway-names.js';
import type { KeyWork } from './key-worker.js';
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
  gateway: Pick<ApiGateway, 'send'>;
  /** Paces reconcile's own calls (a share of the account's control-plane quota, beside the worker's). */
  pacer: Pacer;
  stage: ApiStage;
  tierPlans: Map<number, string>;
  queue: { send(work: KeyWork): Promise<void> };
  clock: Clock;
  /** Keys younger than this are never orphans: the worker may be between making one and recording it. @default 900 */
  orphanGraceSeconds?: number;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const number = (value: unknown) => (typeof value === 'number' ? value : undefined);

/** An entry of the rate keys index: its owner (undefined when its ids are missing) and its key as recorded. */
function indexed(item: Record<string, unknown>) {
  const [pk, sk] = [String(item.pk), String(item.sk)];
  const serviceAccountId = pk.slice(prefixes.account.length);
  const [lookupId, policyId] = [text(item.lookupId), text(item.policyId)];
  const owner: KeyOwner | undefined =
    sk.startsWith(prefixes.token) && lookupId
      ? { kind: 'token', serviceAccountId, name: sk.slice(prefixes.token.length), lookupId }
      : sk.startsWith(prefixes.policy) && policyId
        ? { kind: 'policy', serviceAccountId, policyId }
        : undefined;
  return {
    owner,
    subject: lookupId ?? policyId ?? `${pk} ${sk}`,
    maxRps: number(item.maxRps) ?? null,
    apiKeyId: text(item.apiKeyId),
    keyPlanId: text(item.keyPlanId),
    keyRps: number(item.keyRps),
    capacityShard: number(item.capacityShard),
  };
}

/** Every page of a listing, each call paced. */
async function everyPage<T>(pacer: Pacer, page: (position?: string) => Promise<{ items?: T[]; position?: string }>) {
  const items: T[] = [];
  let position: string | undefined;
  do {
    const answer = await pacer.call(() => page(position));
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
 * With `apply` it also sets back capacity shards that count more than the index holds.
 */
export async function reconcileRateLimits(
  parts: ReconcileParts,
  options: { apply: boolean },
): Promise<ReconcileReport> {
  const { gateway, pacer } = parts;
  // Loaded by the first run, not at init (a file of its own beside the bundle).
  const { GetApiKeysCommand, GetUsagePlanKeysCommand } = await import('./api-gateway.mjs');
  const now = parts.clock().getTime();
  const grace = (parts.orphanGraceSeconds ?? 900) * 1000;
  const counts = options.apply ? await shardCounts({ client: parts.documents, tableName: parts.tableName }) : [];
  const owners = [];
  for await (const item of rateKeyIndexItems(parts.documents, parts.tableName)) owners.push(indexed(item));
  const allKeys = await everyPage(pacer, (position) =>
    gateway.send(new GetApiKeysCommand({ limit: 500, includeValues: false, position })),
  );
  const prefix = keyNamePrefix(parts.stage);
  const ownKeys = new Map(allKeys.filter((key) => key.id && key.name?.startsWith(prefix)).map((key) => [key.id!, key]));
  const planOfKey = new Map<string, string[]>();
  for (const usagePlanId of parts.tierPlans.values()) {
    const members = await everyPage(pacer, (position) =>
      gateway.send(new GetUsagePlanKeysCommand({ usagePlanId, limit: 500, position })),
    );
    for (const { id } of members) if (id) planOfKey.set(id, [...(planOfKey.get(id) ?? []), usagePlanId]);
  }

  const drift: Drift[] = [];
  // Without work (an unreadable entry), nothing can be queued: applied, it counts as not repaired.
  const found = async (entry: Drift, work?: KeyWork) => {
    drift.push(entry);
    if (options.apply)
      entry.queued =
        work !== undefined &&
        (await parts.queue.send(work).then(
          () => true,
          () => false,
        ));
  };
  const held = new Set<string>();
  for (const { owner, subject, maxRps, apiKeyId, keyPlanId, keyRps } of owners) {
    if (apiKeyId !== undefined) held.add(apiKeyId);
    if (!owner) {
      await found({ kind: 'unreadable-owner', subject, detail: 'an index entry without its owner’s ids' });
      continue;
    }
    const recheck = { owner, recheck: true };
    if (maxRps === null) {
      const detail = apiKeyId === undefined ? 'no limit, no key, still indexed' : `no limit, but key ${apiKeyId}`;
      await found({ kind: 'unneeded-key', subject, detail }, recheck);
    } else if (apiKeyId === undefined || !ownKeys.has(apiKeyId)) {
      const detail = apiKeyId === undefined ? `maxRps ${maxRps}, no key` : `its key ${apiKeyId} does not exist`;
      await found({ kind: 'missing-key', subject, detail }, recheck);
    } else {
      // A tier without a plan (a partial TIER_PLANS) is drift of this owner, not the end of the run.
      const { planId, rps } = tierPlan(parts.tierPlans, maxRps);
      const plans = planOfKey.get(apiKeyId) ?? [];
      if (!planId || keyPlanId !== planId || keyRps !== rps || plans.length !== 1 || plans[0] !== planId) {
        const recorded = `recorded in ${keyPlanId ?? 'none'}; tier ${rps} is ${planId ?? 'in no plan (TIER_PLANS)'}`;
        await found(
          { kind: 'wrong-plan', subject, detail: `key ${apiKeyId} is in [${plans.join(', ')}], ${recorded}` },
          recheck,
        );
      }
    }
  }
  // Only keys named as the worker names them (earlier versions' keys are the upgrade's to remove).
  const workerKey = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[0-9A-Za-z]+$`);
  for (const [id, key] of ownKeys) {
    if (held.has(id) || !workerKey.test(key.name!) || (key.createdDate && now - key.createdDate.getTime() < grace))
      continue;
    await found(
      { kind: 'orphan-key', subject: id, detail: `${key.name} is held by no token or policy` },
      { deletedKeyId: id },
    );
  }
  let recounted = 0;
  if (options.apply) {
    for (let shard = 0; shard < CAPACITY_SHARDS; shard++) {
      const count = owners.filter((owner) => owner.capacityShard === shard && owner.maxRps !== null).length;
      if (await recount(parts, shard, count, counts[shard])) recounted += 1;
    }
  }
  const limited = owners.filter((owner) => owner.maxRps !== null).length;
  return { regionKeys: allKeys.length, ownKeys: ownKeys.size, owners: owners.length, limited, drift, recounted };
}

/**
 * Sets a capacity shard back to `indexed` when it counts more (DynamoDB TTL removes expired
 * tokens without giving their place back), only if no write moved it since it was read,
 * before the index was: a count is never set below a place taken after that read.
 */
async function recount(
  parts: ReconcileParts,
  shard: number,
  indexed: number,
  stored: { count: number; version?: number } | undefined,
): Promise<boolean> {
  if (!stored || indexed >= stored.count) return false;
  const update = updateExpression({
    set: { count: indexed },
    add: { version: 1 },
    condition: equals('version', stored.version),
  });
  return parts.documents
    .send(new UpdateCommand({ TableName: parts.tableName, Key: keys.capacityShard(shard), ...update }))
    .then(
      () => true,
      (error) => {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
        return false;
      },
    );
}

/** How long a run may hold the lease: past it, the next run takes over (this one died). */
const LEASE_MS = 15 * 60_000;

/** Runs `run` if no other reconcile holds the lease (an item of its own); undefined when one does. */
export async function underLease<T>(
  parts: Pick<ReconcileParts, 'documents' | 'tableName' | 'clock'>,
  run: () => Promise<T>,
): Promise<T | undefined> {
  const [holder, now, TableName] = [randomUUID(), parts.clock().getTime(), parts.tableName];
  try {
    await parts.documents.send(
      new PutCommand({
        TableName,
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
    const condition = expression({ condition: equals('holder', holder) });
    await parts.documents.send(new DeleteCommand({ TableName, Key: keys.reconcileLease(), ...condition }));
  }
}
