import { type DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Directory, isDirectoryId } from './directory.js';
import { type Incarnation, incarnationName, isIncarnationName } from './incarnations.js';
import type { ListedUser, Member, Principal } from '../kernel/model.js';
import type { DirectoryPage, DirectorySnapshot, DirectoryStore, DirectoryWriteResult } from './ports.js';
import { batchWrite, UnprocessedItemsError, type WriteRequest } from '../dynamodb/batch-write.js';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../dynamodb/event-items.js';
import { type DirectoryItem, directoryFromItems, principalOf } from './directory-items.js';
import { directoryWrite } from './directory-diff.js';
import { exists, updateExpression } from '../dynamodb/expressions.js';
import { isDirectoryItem, keys, prefixes, userListPartition } from '../dynamodb/keys.js';
import { dynamoPages, getMember, listMembers, listUsers } from './directory-listing.js';
import { endIncarnation, listIncarnations, pastPrincipal } from './incarnation-items.js';

/** The directory on the service's one DynamoDB table. */
export class DynamoDirectoryStore implements DirectoryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The audit trail's retention: an ended incarnation's record is kept as long as its events. */
    private readonly options: { auditRetentionDays?: number } = {},
  ) {}

  async getPrincipal(userId: string): Promise<Principal | undefined> {
    // A JWT subject or path segment no directory entry can have (too long for a key, say).
    if (!isDirectoryId(userId)) return undefined;
    const { Item: item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.profile(userId),
        ProjectionExpression: '#type, groups, domains, adminRoles, tokenManagerIn, incarnation, requireAllowedCidrs',
        ExpressionAttributeNames: { '#type': 'type' },
        ConsistentRead: true,
      }),
    );
    return item && principalOf(userId, item);
  }

  async getIncarnation(accountId: string, incarnation: string): Promise<Principal | undefined> {
    if (!isDirectoryId(accountId) || !isIncarnationName(incarnation)) return undefined;
    const [current, { Item: record }] = await Promise.all([
      this.getPrincipal(accountId),
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.incarnation(accountId, incarnation),
          ConsistentRead: true,
        }),
      ),
    ]);
    if (current?.type === 'SERVICE_ACCOUNT' && incarnationName(current.incarnation) === incarnation) return current;
    return record ? pastPrincipal(accountId, record) : undefined;
  }

  async listIncarnations(accountId: string): Promise<Incarnation[]> {
    if (!isDirectoryId(accountId)) return [];
    return listIncarnations(this.client, this.tableName, accountId, await this.getPrincipal(accountId));
  }

  listMembers(domain: string, limit: number, afterId?: string, startsWith?: string): Promise<DirectoryPage<Member>> {
    return listMembers(dynamoPages(this.client, this.tableName), domain, limit, afterId, startsWith);
  }

  getMember(domain: string, userId: string): Promise<Member | undefined> {
    return getMember(this.client, this.tableName, domain, userId);
  }

  listUsers(limit: number, afterId?: string, startsWith?: string): Promise<DirectoryPage<ListedUser>> {
    return listUsers(dynamoPages(this.client, this.tableName), limit, afterId, startsWith);
  }

  /**
   * The whole stored directory (an admin operation: a paginated scan), and a way to
   * make it another, computed against what was read.
   */
  async snapshot(): Promise<DirectorySnapshot> {
    const { items, tokenHolders } = await this.storedItems();
    return {
      directory: directoryFromItems(items),
      tokenHolders,
      retiring: items.filter((item) => item.entity === 'USER' && item.retiring === true).map((item) => String(item.id)),
      write: (target) => this.write(items, target),
    };
  }

  async retire(userId: string): Promise<void> {
    let profile: Record<string, unknown> | undefined;
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.profile(userId),
          ...updateExpression({ set: { retiring: true }, condition: exists('pk') }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      profile = result.Attributes;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    }
    // Its trail stays readable to admins who share a group with it as it ends.
    const retentionDays = this.options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    if (profile) await endIncarnation(this.client, this.tableName, profile, new Date(), retentionDays);
  }

  /**
   * Makes the stored directory `target`, writing only what differs from `stored`. Every item grants
   * something (a membership, a grant, a profile), so the write never passes through a
   * state that grants more than both directories: first it takes away (removed items,
   * and the old version of changed ones), leaving a subset of the old directory; then it
   * adds, leaving a subset of the new one until it is whole. Meanwhile it fails closed: a
   * changed user is briefly unknown. Idempotent: a failed write can be run again.
   */
  private async write(stored: DirectoryItem[], target: Directory): Promise<DirectoryWriteResult> {
    const { removed, changed, added, started, result } = directoryWrite(stored, target, new Date());
    await this.batchWrite(
      [...removed, ...changed].map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })),
    );
    // A new incarnation's record before its profile: a failure in between leaves a record of
    // an incarnation that never began (it has no events), never an account without one.
    await this.batchWrite(started.map((item) => ({ PutRequest: { Item: item } })));
    await this.batchWrite([...changed, ...added].map((item) => ({ PutRequest: { Item: item } })));
    return result;
  }

  /** Every directory item, and the accounts whose token counter exists, in one scan. */
  private async storedItems(): Promise<{ items: DirectoryItem[]; tokenHolders: string[] }> {
    const items: DirectoryItem[] = [];
    const tokenHolders: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression:
            'begins_with(pk, :user) OR begins_with(pk, :domain) OR pk = :userList OR (begins_with(pk, :account) ' +
            'AND sk = :counter)',
          ExpressionAttributeValues: {
            ':user': prefixes.user,
            ':domain': prefixes.domain,
            ':userList': userListPartition,
            ':account': prefixes.account,
            ':counter': keys.counter('').sk,
          },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (page.Items ?? []) as DirectoryItem[]) {
        if (isDirectoryItem(item)) items.push(item);
        else if (item.pk.startsWith(prefixes.account)) tokenHolders.push(item.pk.slice(prefixes.account.length));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { items, tokenHolders };
  }

  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    try {
      await batchWrite(this.client, this.tableName, requests);
    } catch (error) {
      if (error instanceof UnprocessedItemsError)
        throw new Error('DynamoDB kept items unprocessed; re-run the import (it is idempotent)', { cause: error });
      throw error;
    }
  }
}
