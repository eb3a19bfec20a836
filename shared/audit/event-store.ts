import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { EventPage, EventQuery, TokenEvents } from './ports.js';
import { isEvent, toEvent } from '../dynamodb/event-items.js';
import { eventPartition, keys, prefixes } from '../dynamodb/keys.js';

/** Query pages read for one answer at most, when filters skip most events. */
const MAX_PAGES = 10;

/**
 * An account's audit events, newest first: one partition per incarnation of the account,
 * sorted by id. Filters (a token,
 * a type) are applied as DynamoDB reads the partition, so a page may come back short but
 * with a cursor; reading stops after a bounded amount of work either way.
 */
export class DynamoTokenEvents implements TokenEvents {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(accountId: string, query: EventQuery): Promise<EventPage> {
    const filters: string[] = [];
    const partition = eventPartition(accountId, query.incarnation);
    const values: Record<string, unknown> = { ':pk': partition, ':prefix': prefixes.event };
    const names: Record<string, string> = {};
    if (query.tokenName !== undefined) {
      filters.push('#tokenName = :tokenName');
      names['#tokenName'] = 'tokenName';
      values[':tokenName'] = query.tokenName;
    }
    if (query.type !== undefined) {
      filters.push('#type = :type');
      names['#type'] = 'type';
      values[':type'] = query.type;
    }
    const events = [];
    let startKey: Record<string, unknown> | undefined =
      query.afterId === undefined ? undefined : { ...keys.event(accountId, query.afterId, query.incarnation) };
    for (let page = 0; page < MAX_PAGES; page++) {
      const result: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: values,
          ...(filters.length > 0 ? { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: names } : {}),
          ScanIndexForward: false,
          ConsistentRead: true,
          // One more than asked tells, without filters, whether another page follows.
          Limit: query.limit + 1 - events.length,
          ExclusiveStartKey: startKey,
        }),
      );
      events.push(...(result.Items ?? []).filter(isEvent).map(toEvent));
      startKey = result.LastEvaluatedKey;
      if (events.length > query.limit || !startKey) break;
    }
    if (events.length > query.limit)
      return { events: events.slice(0, query.limit), lastId: events[query.limit - 1]!.id };
    // A short page: more may follow only if DynamoDB stopped before the partition's end.
    return { events, lastId: startKey === undefined ? undefined : String(startKey.sk).slice(prefixes.event.length) };
  }
}
