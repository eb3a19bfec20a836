import {
  type APIGatewayClient,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import { DeleteCommand, type DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { all, equals, exists, updateExpression } from '../shared/dynamodb/expressions.js';
import { keys, prefixes, rateKeyShard, ratePlanPartition } from '../shared/dynamodb/keys.js';
import { CAPACITY_SHARDS, givePlace } from '../shared/dynamodb/rate-limit-capacity.js';
import { type ApiStage, keyNamePrefix } from '../shared/ratelimit/gateway-names.js';
import type { Pacer } from '../shared/ratelimit/pacer.js';
import { rateKeyIndexItems } from '../shared/ratelimit/key-index.js';
import type { KeyOwner } from '../shared/tokens/ports.js';
import { transact } from '../shared/dynamodb/transactions.js';

/**
 * The one-time upgrade from the version that made usage plans at run time (a plan per
 * distinct maxRps, recorded under `RATEPLANS`, each with a bridge key, and a key per
 * limited token or policy in its plan), run with an operator's credentials after the new
 * version is deployed (`npm run upgrade-rate-limits`). docs/rate-limiting.md walks through it.
 *
 * `adopt` passes over the table once: a token or policy with a limit or a key goes into
 * the rate keys index and takes its place in the capacity (beyond the ceiling if it must:
 * nothing is refused that exists); a key of the earlier version is recorded with the plan
 * it is in and that plan's rate, which is its maxRps, so the token keeps presenting it
 * (not a suspended token's, which that version disabled: it is replaced);
 * each goes to the key worker, which moves its key into its tier's plan. A create the
 * earlier version left pending (its secret never handed out) is deleted.
 *
 * `removePlans`, once the worker is done: deletes the earlier version's plans that hold
 * no key of a token any more (one UpdateUsagePlan every 20 seconds, as API Gateway
 * allows), their bridge keys and records, and keys of that version no owner holds.
 */

export interface UpgradeParts {
  documents: DynamoDBDocumentClient;
  tableName: string;
  queue: { keyChanged(owner: KeyOwner): Promise<void> };
  clock: () => Date;
}

/** Owners indexed, earlier keys recorded in their plan, messages sent, pending creates removed. */
export type AdoptReport = Record<'indexed' | 'stamped' | 'queued' | 'pendingRemoved', number>;

/** How long a create of the earlier version may have been running: past it, nobody holds its secret. */
const PENDING_GRACE_MS = 15 * 60_000;

async function* accountItems(parts: UpgradeParts): AsyncIterable<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await parts.documents.send(
      new ScanCommand({
        TableName: parts.tableName,
        FilterExpression: 'begins_with(pk, :account) AND (begins_with(sk, :token) OR begins_with(sk, :policy))',
        ExpressionAttributeValues: {
          ':account': prefixes.account,
          ':token': prefixes.token,
          ':policy': prefixes.policy,
        },
        ExclusiveStartKey: startKey,
      }),
    );
    yield* page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** The earlier version's plan of each rate, from its records. */
async function recordedPlans(parts: UpgradeParts): Promise<Map<number, { planId: string; bridgeKeyId?: string }>> {
  const { Items } = await parts.documents.send(
    new QueryCommand({
      TableName: parts.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': ratePlanPartition },
      ConsistentRead: true,
    }),
  );
  return new Map(
    (Items ?? [])
      .filter((item) => typeof item.planId === 'string')
      .map((item) => [Number(item.rps), { planId: String(item.planId), bridgeKeyId: item.bridge?.keyId }]),
  );
}

function ownerOf(item: Record<string, unknown>): KeyOwner {
  const serviceAccountId = String(item.pk).slice(prefixes.account.length);
  return String(item.sk).startsWith(prefixes.token)
    ? {
        kind: 'token',
        serviceAccountId,
        name: String(item.sk).slice(prefixes.token.length),
        lookupId: String(item.lookupId),
      }
    : { kind: 'policy', serviceAccountId, policyId: String(item.policyId) };
}

export async function adopt(parts: UpgradeParts): Promise<AdoptReport> {
  const { documents, tableName } = parts;
  const plans = await recordedPlans(parts);
  const report: AdoptReport = { indexed: 0, stamped: 0, queued: 0, pendingRemoved: 0 };
  const now = parts.clock();
  let shard = 0;
  for await (const item of accountItems(parts)) {
    const owner = ownerOf(item);
    if (typeof item.pendingSince === 'string') {
      if (now.getTime() - Date.parse(item.pendingSince) < PENDING_GRACE_MS) continue;
      await removePending(parts, item, owner);
      report.pendingRemoved += 1;
      continue;
    }
    const limited = typeof item.maxRps === 'number';
    if (item.federation || (!limited && typeof item.apiKeyId !== 'string')) continue;
    const set = { keyShard: rateKeyShard(owner.kind === 'token' ? owner.lookupId : owner.policyId) };
    const plan = limited ? plans.get(Number(item.maxRps)) : undefined;
    // A key of the earlier version is in the plan of exactly its maxRps: presented as it is until the worker moves it.
    // Not a suspended token's: the earlier version disabled it, and a reactivated token presents its pooled key
    // until the worker has replaced it (it cannot join a tier's plan while in the earlier one).
    const enabled = owner.kind === 'policy' || item.status === 'ACTIVE';
    const stamp =
      typeof item.apiKeyId === 'string' && item.keyPlanId === undefined && plan && enabled
        ? { keyPlanId: plan.planId, keyRps: item.maxRps, keyReadyAt: now.toISOString() }
        : {};
    const place: { capacityShard?: number } =
      limited && item.capacityShard === undefined ? { capacityShard: shard++ % CAPACITY_SHARDS } : {};
    const guard = all(equals('maxRps', item.maxRps ?? null), equals('apiKeyId', item.apiKeyId));
    const update = (key: { pk: string; sk: string }, fields: Record<string, unknown>) => ({
      Update: {
        TableName: tableName,
        Key: key,
        ...updateExpression({ set: fields, condition: all(exists('pk'), guard) }),
      },
    });
    await transact(documents, [
      ['owner', update({ pk: String(item.pk), sk: String(item.sk) }, { ...set, ...stamp, ...place })],
      ...(owner.kind === 'token' && 'keyPlanId' in stamp
        ? [['credential', update(keys.credential(owner.lookupId), stamp)] as const]
        : []),
      // Counted as it is, beyond the ceiling if it must: what exists is never refused.
      ...('capacityShard' in place
        ? [
            [
              'capacity',
              {
                Update: {
                  TableName: tableName,
                  Key: keys.capacityShard(place.capacityShard!),
                  ...updateExpression({ add: { count: 1, version: 1 } }),
                },
              },
            ] as const,
          ]
        : []),
    ]);
    report.indexed += 1;
    if ('keyPlanId' in stamp) report.stamped += 1;
    await parts.queue.keyChanged(owner);
    report.queued += 1;
  }
  return report;
}

/** A create of the earlier version that never finished: its items and the place it claimed in its account's count. */
async function removePending(parts: UpgradeParts, item: Record<string, unknown>, owner: KeyOwner): Promise<void> {
  const { documents, tableName } = parts;
  const token = owner.kind === 'token';
  const counter = token ? keys.counter(owner.serviceAccountId) : keys.policyCounter(owner.serviceAccountId);
  const remove = (key: { pk: string; sk: string }) => ({ Delete: { TableName: tableName, Key: key } });
  await transact(documents, [
    ['item', remove({ pk: String(item.pk), sk: String(item.sk) })],
    ...(token ? [['credential', remove(keys.credential(owner.lookupId))] as const] : []),
    [
      'counter',
      {
        Update: {
          TableName: tableName,
          Key: counter,
          ...updateExpression({ add: token ? { tokenCount: -1, version: 1 } : { policyCount: -1 } }),
        },
      },
    ],
    ...(typeof item.capacityShard === 'number'
      ? [['capacity', givePlace(tableName, item.capacityShard)] as const]
      : []),
  ]);
}

export interface RemovePlansParts extends UpgradeParts {
  client: APIGatewayClient;
  pacer: Pacer;
  stage: ApiStage;
  /** A wait of simulated or real time: UpdateUsagePlan is allowed once every 20 seconds. */
  sleep: (ms: number) => Promise<void>;
}

export interface RemovePlansReport {
  removed: string[];
  /** Plans that still hold a token's key: the worker has not moved it yet. */
  kept: string[];
  keysDeleted: number;
}

export async function removePlans(parts: RemovePlansParts): Promise<RemovePlansReport> {
  const { client, pacer, stage } = parts;
  const send: Send = (command) => pacer.call(() => (client.send as (c: unknown) => Promise<never>)(command));
  const prefix = keyNamePrefix(stage);
  const records = await recordedPlans(parts);
  const bridges = new Set([...records.values()].flatMap((plan) => (plan.bridgeKeyId ? [plan.bridgeKeyId] : [])));
  const report: RemovePlansReport = { removed: [], kept: [], keysDeleted: 0 };
  const ours = (
    await listAll<{ id?: string; name?: string }>(
      send,
      (position) => new GetUsagePlansCommand({ limit: 500, position }),
    )
  ).filter((plan) => plan.id && new RegExp(`^${prefix}rps[0-9]+-`).test(plan.name ?? ''));
  let lastUpdate = Number.NEGATIVE_INFINITY;
  for (const plan of ours) {
    const members = await listAll<{ id?: string }>(
      send,
      (position) => new GetUsagePlanKeysCommand({ usagePlanId: plan.id!, limit: 500, position }),
    );
    if (members.some((key) => !bridges.has(key.id!))) {
      report.kept.push(plan.id!);
      continue;
    }
    for (const key of members) await send(new DeleteUsagePlanKeyCommand({ usagePlanId: plan.id!, keyId: key.id! }));
    await parts.sleep(Math.max(0, lastUpdate + 20_000 - parts.clock().getTime()));
    await send(
      new UpdateUsagePlanCommand({
        usagePlanId: plan.id!,
        patchOperations: [{ op: 'remove', path: '/apiStages', value: `${stage.restApiId}:${stage.stage}` }],
      }),
    );
    lastUpdate = parts.clock().getTime();
    await send(new DeleteUsagePlanCommand({ usagePlanId: plan.id! }));
    report.removed.push(plan.id!);
  }
  // The records of removed plans; the keys of the earlier version no token or policy holds (bridges among them).
  for (const [rps, plan] of records) {
    if (report.removed.includes(plan.planId) || !ours.some((p) => p.id === plan.planId))
      await parts.documents.send(new DeleteCommand({ TableName: parts.tableName, Key: keys.ratePlan(rps) }));
  }
  const held = await heldKeys(parts);
  const earlier = await listAll<{ id?: string; name?: string }>(
    send,
    (position) => new GetApiKeysCommand({ limit: 500, includeValues: false, position }),
  );
  for (const key of earlier) {
    if (!key.id || held.has(key.id) || !new RegExp(`^${prefix}(.+-rps[0-9]+-|bridge-)`).test(key.name ?? '')) continue;
    await send(new DeleteApiKeyCommand({ apiKey: key.id }));
    report.keysDeleted += 1;
  }
  return report;
}

type Send = <R>(command: unknown) => Promise<R>;

async function listAll<T>(send: Send, page: (position?: string) => unknown): Promise<T[]> {
  const items: T[] = [];
  let position: string | undefined;
  do {
    const answer = await send<{ items?: T[]; position?: string }>(page(position));
    items.push(...(answer.items ?? []));
    position = answer.position;
  } while (position);
  return items;
}

/** The keys tokens and policies hold now, from the rate keys index. */
async function heldKeys(parts: UpgradeParts): Promise<Set<string>> {
  const held = new Set<string>();
  for await (const item of rateKeyIndexItems(parts.documents, parts.tableName))
    if (typeof item.apiKeyId === 'string') held.add(item.apiKeyId);
  return held;
}
