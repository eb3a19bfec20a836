import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isDirectoryId } from './directory.js';
import type { ListedUser, Member, UserType } from '../kernel/model.js';
import type { DirectoryPage } from './ports.js';
import { type ItemKey, keys, prefixes, userListPartition } from '../dynamodb/keys.js';

/**
 * The directory's listings: a domain's members under the domain's partition, every user
 * under the user list (items the import writes beside each profile, see
 * directory-items.ts). Each page is one strongly consistent query in id order. A search
 * is a prefix of the id: the sort key is `MEMBER#<id>` or `USER#<id>`, so `begins_with`
 * on it in the key condition reads only the matching items, and a page costs what an
 * unfiltered one does. A substring match would need a filter expression: DynamoDB reads
 * (and bills) every item before filtering, so a rare match could take a scan of the whole
 * partition to fill one page.
 */

type Item = Record<string, unknown>;

const MEMBER_FIELDS = { projection: 'id, #type, groups', names: { '#type': 'type' } };
const USER_FIELDS = { projection: 'id, #type, groups, domains', names: { '#type': 'type' } };

export const member = (item: Item): Member => ({
  id: String(item.id),
  type: item.type as UserType,
  groups: (item.groups as string[] | undefined) ?? [],
});
const listedUser = (item: Item): ListedUser => ({
  ...member(item),
  domains: (item.domains as string[] | undefined) ?? [],
});

/** A page of a partition to read: its items' sort keys start with `prefix`; after `after`, `limit` at most. */
export interface PageQuery {
  pk: string;
  prefix: string;
  after: ItemKey | undefined;
  limit: number;
  fields: typeof MEMBER_FIELDS;
}

/** Reads a page of a partition (DynamoDB's query below; the in-memory store's own). */
export type PageReader = (query: PageQuery) => Promise<{ items: Item[]; more: boolean }>;

export function dynamoPages(client: DynamoDBDocumentClient, tableName: string): PageReader {
  return (query) => page(client, tableName, query);
}

/**
 * DynamoDB's reader: up to `limit` items of a partition whose sort keys start with `prefix`, after `after`
 * (a sort key), and whether more follow. One more than asked is read, so a cursor is never
 * handed out for an empty page; a query stopped by DynamoDB's 1 MB page size (a user's
 * groups may take 300 KB) is continued until the page is full or the partition ends.
 */
async function page(
  client: DynamoDBDocumentClient,
  tableName: string,
  query: PageQuery,
): Promise<{ items: Item[]; more: boolean }> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined = query.after ? { ...query.after } : undefined;
  do {
    const result = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': query.pk, ':prefix': query.prefix },
        ProjectionExpression: query.fields.projection,
        ExpressionAttributeNames: query.fields.names,
        ConsistentRead: true,
        Limit: query.limit + 1 - items.length,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...((result.Items ?? []) as Item[]));
    startKey = result.LastEvaluatedKey;
  } while (startKey && items.length <= query.limit);
  return { items: items.slice(0, query.limit), more: items.length > query.limit };
}

function toPage<T extends { id: string }>(items: T[], more: boolean): DirectoryPage<T> {
  return { items, lastId: more ? items.at(-1)?.id : undefined };
}

/**
 * Where a page of ids starting with `startsWith` begins, after the cursor's id: at the
 * cursor when it is among them, at the first of them when it sorts before them all, and
 * nowhere (null) when it sorts after them all. DynamoDB refuses a start key outside the
 * key condition, and a cursor is only an id (one of another search, or of no search).
 */
function startAfter(afterId: string | undefined, startsWith: string): { after: string | undefined } | null {
  if (afterId === undefined || afterId.startsWith(startsWith)) return { after: afterId };
  return afterId < startsWith ? { after: undefined } : null;
}

export async function listMembers(
  read: PageReader,
  domain: string,
  limit: number,
  afterId?: string,
  startsWith = '',
): Promise<DirectoryPage<Member>> {
  // A cursor naming no possible user starts nowhere: an empty page, without a read.
  if (afterId !== undefined && !isDirectoryId(afterId)) return { items: [], lastId: undefined };
  const start = startAfter(afterId, startsWith);
  if (start === null) return { items: [], lastId: undefined };
  const { pk } = keys.member(domain, '');
  const after = start.after === undefined ? undefined : keys.member(domain, start.after);
  const { items, more } = await read({
    pk,
    prefix: prefixes.member + startsWith,
    after,
    limit,
    fields: MEMBER_FIELDS,
  });
  return toPage(items.map(member), more);
}

export async function getMember(
  client: DynamoDBDocumentClient,
  tableName: string,
  domain: string,
  userId: string,
): Promise<Member | undefined> {
  if (!isDirectoryId(userId)) return undefined;
  const { Item: item } = await client.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.member(domain, userId),
      ProjectionExpression: MEMBER_FIELDS.projection,
      ExpressionAttributeNames: MEMBER_FIELDS.names,
      ConsistentRead: true,
    }),
  );
  return item ? member(item) : undefined;
}

export async function listUsers(
  read: PageReader,
  limit: number,
  afterId?: string,
  startsWith = '',
): Promise<DirectoryPage<ListedUser>> {
  if (afterId !== undefined && !isDirectoryId(afterId)) return { items: [], lastId: undefined };
  const start = startAfter(afterId, startsWith);
  if (start === null) return { items: [], lastId: undefined };
  const after = start.after === undefined ? undefined : keys.listedUser(start.after);
  const { items, more } = await read({
    pk: userListPartition,
    prefix: prefixes.user + startsWith,
    after,
    limit,
    fields: USER_FIELDS,
  });
  return toPage(items.map(listedUser), more);
}
