import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isEvent, toEvent } from '../dynamodb/event-items.js';
import { isEventItem } from '../dynamodb/keys.js';
import type { TokenEvent } from '../kernel/events.js';

/**
 * Audit events leave the table through its stream: each event item, once written (in the
 * transaction of its change), is forwarded to subscribers. In AWS the stack's EventBridge
 * bus receives them; locally a file does. Delivery is at least once (a failed batch is
 * retried whole), so subscribers deduplicate by the event's `id`.
 */

/** A stream record as DynamoDB (and DynamoDB Local) delivers it. */
export interface StreamRecordLike {
  eventName?: string;
  dynamodb?: { NewImage?: Record<string, AttributeValue> };
}

/** Where forwarded events go; throws when any of them could not be delivered. */
export interface EventPublisher {
  publish(events: TokenEvent[]): Promise<void>;
}

/** The audit events among stream records: new event items, in stream order. */
export function eventsOf(records: StreamRecordLike[]): TokenEvent[] {
  const events: TokenEvent[] = [];
  for (const record of records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image) continue;
    const item = unmarshall(image);
    if (
      typeof item.pk !== 'string' ||
      typeof item.sk !== 'string' ||
      !isEventItem({ pk: item.pk, sk: item.sk }) ||
      !isEvent(item)
    )
      continue;
    events.push(toEvent(item));
  }
  return events;
}

/**
 * Forwards the audit events of a batch of stream records; throws (so the batch is retried) if any was not delivered.
 */
export async function forwardRecords(records: StreamRecordLike[], publisher: EventPublisher): Promise<number> {
  const events = eventsOf(records);
  if (events.length > 0) await publisher.publish(events);
  return events.length;
}
