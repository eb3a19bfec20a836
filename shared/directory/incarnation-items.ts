import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Incarnation, incarnationName, newIncarnation } from './incarnations.js';
import type { Principal } from '../kernel/model.js';
import type { DirectoryItem } from './directory-items.js';
import { itemKey } from './directory-items.js';
import { updateExpression } from '../dynamodb/expressions.js';
import { keys, prefixes, TTL_ATTRIBUTE } from '../dynamodb/keys.js';

/**
 * The incarnations of accounts on the table (see shared/directory/incarnations.ts): the
 * current one on the account's profile (`incarnation`), and a record of each one under
 * the account id's first events partition, written by the import as it creates the
 * incarnation and completed as it begins to remove it (its groups then, and a TTL that
 * ends with the retention of its trail).
 */

const DAY_SECONDS = 86_400;

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];

/**
 * Gives each service account of `desired` (the profiles an import is about to write) its
 * incarnation: the stored one while the stored profile is a service account that is not
 * leaving, which an account older than incarnations keeps having none of; a new one when
 * the account is new, was a person, or is being removed (and so comes back as another
 * account). Returns the records of the new incarnations, to be written before the profiles.
 */
export function assignIncarnations(
  desired: DirectoryItem[],
  storedByKey: Map<string, DirectoryItem>,
  at: Date,
): DirectoryItem[] {
  const started: DirectoryItem[] = [];
  for (const item of desired) {
    if (item.entity !== 'USER' || item.type !== 'SERVICE_ACCOUNT') continue;
    const stored = storedByKey.get(itemKey(item));
    if (stored !== undefined && stored.type === 'SERVICE_ACCOUNT' && stored.retiring !== true) {
      if (typeof stored.incarnation === 'string') item.incarnation = stored.incarnation;
      continue;
    }
    const incarnation = newIncarnation(at);
    item.incarnation = incarnation;
    started.push({
      ...keys.incarnation(String(item.id), incarnation),
      entity: 'INCARNATION',
      accountId: item.id,
      incarnation,
      startedAt: at.toISOString(),
      groups: item.groups,
    });
  }
  return started;
}

/**
 * Records that the incarnation of `profile` (as the retirement left it) ended at `at`, with
 * its groups then: who may read its trail from now on. Idempotent: a retirement run again
 * (a failed import re-run) keeps the first end, and the record leaves with its trail's
 * last events, a day after their retention.
 */
export async function endIncarnation(
  client: DynamoDBDocumentClient,
  tableName: string,
  profile: Record<string, unknown>,
  at: Date,
  retentionDays: number,
): Promise<void> {
  const { key, set, setIfAbsent } = endedIncarnation(profile, at, retentionDays);
  await client.send(new UpdateCommand({ TableName: tableName, Key: key, ...updateExpression({ set, setIfAbsent }) }));
}

/** The write that ends an incarnation: what it sets, and what it sets only where the record has none yet. */
export function endedIncarnation(profile: Record<string, unknown>, at: Date, retentionDays: number) {
  const accountId = String(profile.id);
  const incarnation = incarnationName(typeof profile.incarnation === 'string' ? profile.incarnation : undefined);
  const ttl = Math.ceil(at.getTime() / 1000) + (retentionDays + 1) * DAY_SECONDS;
  return {
    key: keys.incarnation(accountId, incarnation),
    set: { entity: 'INCARNATION', accountId, incarnation, groups: strings(profile.groups) },
    setIfAbsent: { endedAt: at.toISOString(), [TTL_ATTRIBUTE]: ttl },
  };
}

/** The account as it was in an ended (or otherwise recorded) incarnation, as the authorization checks see it. */
export function pastPrincipal(accountId: string, record: Record<string, unknown>): Principal {
  const incarnation = String(record.incarnation);
  return {
    id: accountId,
    type: 'SERVICE_ACCOUNT',
    groups: strings(record.groups),
    domains: [],
    adminRoles: [],
    tokenManagerIn: [],
    ...(incarnation === incarnationName(undefined) ? {} : { incarnation }),
  };
}

/** Every recorded incarnation of an account id, with the current one (from its profile) marked. */
export async function listIncarnations(
  client: DynamoDBDocumentClient,
  tableName: string,
  accountId: string,
  current: Principal | undefined,
): Promise<Incarnation[]> {
  const records: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.incarnation(accountId, '').pk, ':prefix': prefixes.incarnation },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    records.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return incarnationsOf(records, current);
}

/** An account's incarnations from their records and its profile as it is now, newest first. */
export function incarnationsOf(records: Record<string, unknown>[], current: Principal | undefined): Incarnation[] {
  const now = current?.type === 'SERVICE_ACCOUNT' ? incarnationName(current.incarnation) : undefined;
  const listed: Incarnation[] = records.map((record) => ({
    incarnation: String(record.incarnation),
    current: record.incarnation === now,
    startedAt: typeof record.startedAt === 'string' ? record.startedAt : null,
    endedAt: record.incarnation === now ? null : typeof record.endedAt === 'string' ? record.endedAt : null,
    groups: record.incarnation === now ? current!.groups : strings(record.groups),
  }));
  // An account older than incarnations has no record until it ends.
  if (now !== undefined && !listed.some((entry) => entry.current)) {
    listed.push({ incarnation: now, current: true, startedAt: null, endedAt: null, groups: current!.groups });
  }
  // Newest first; legacy, which predates them all, last.
  const order = (entry: Incarnation) => (entry.startedAt === null ? '' : entry.incarnation);
  return listed.sort((a, b) => order(b).localeCompare(order(a)));
}
