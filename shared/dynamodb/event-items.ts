import type { FederationPolicy } from '../kernel/model.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';
import type {
  Actor,
  EventDetails,
  ExchangeDetails,
  FieldChange,
  TokenEvent,
  TokenEventType,
} from '../kernel/events.js';

/**
 * An audit event as an item: under the events partition of its account's incarnation,
 * sorted by id (so by time), removed by DynamoDB TTL after the retention period. Written only inside the
 * transaction of the change it records (see tokens/token-store.ts).
 */

const DAY_SECONDS = 86_400;

/** How long audit events are kept (DynamoDB TTL), unless configured. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 400;

export function eventItem(event: TokenEvent, retentionDays: number): Record<string, unknown> {
  return {
    ...keys.event(event.serviceAccountId, event.id, event.incarnation),
    ...event,
    [TTL_ATTRIBUTE]: Math.ceil(Date.parse(event.time) / 1000) + retentionDays * DAY_SECONDS,
  };
}

/** The transaction item that writes an event, never over another. */
export function eventPut(tableName: string, event: TokenEvent, retentionDays: number) {
  return {
    Put: {
      TableName: tableName,
      Item: eventItem(event, retentionDays),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  } as const;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Whether an item of the events partition is a whole event (and not, say, one written by hand). */
export function isEvent(item: Record<string, unknown>): boolean {
  return ['id', 'time', 'type', 'serviceAccountId', 'tokenName'].every((field) => typeof item[field] === 'string');
}

export function toEvent(item: Record<string, unknown>): TokenEvent {
  const actor = (item.actor ?? {}) as Partial<Actor>;
  return {
    id: String(item.id),
    time: String(item.time),
    type: item.type as TokenEventType,
    serviceAccountId: String(item.serviceAccountId),
    tokenName: String(item.tokenName),
    actor: {
      userId: String(actor.userId ?? ''),
      authenticatedBy: actor.authenticatedBy ?? 'SYSTEM',
      ...(typeof actor.tokenName === 'string' ? { tokenName: actor.tokenName } : {}),
      ...(actor.secret === 'current' || actor.secret === 'previous' ? { secret: actor.secret } : {}),
    },
    requestId: text(item.requestId),
    sourceIp: text(item.sourceIp),
    userAgent: text(item.userAgent),
    changes: (item.changes ?? {}) as Record<string, FieldChange>,
    ...(typeof item.details === 'object' && item.details !== null ? { details: item.details as EventDetails } : {}),
    ...(typeof item.exchange === 'object' && item.exchange !== null
      ? { exchange: item.exchange as ExchangeDetails }
      : {}),
    ...(typeof item.policy === 'object' && item.policy !== null ? { policy: item.policy as FederationPolicy } : {}),
    ...(typeof item.incarnation === 'string' ? { incarnation: item.incarnation } : {}),
  };
}
