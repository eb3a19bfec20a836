import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from './forward.js';
import type { TokenEvent } from '../kernel/events.js';

/** The `source` of every event the service publishes; `detail-type` is the event's type (`token.created`, …). */
export const EVENT_SOURCE = 'service-account-tokens';
/** PutEvents takes at most ten entries. */
const BATCH = 10;
const ATTEMPTS = 3;

/**
 * Publishes audit events to an EventBridge bus. Entries PutEvents reports as failed are
 * sent again (a few times); if some still fail, the whole stream batch fails and is
 * retried, so nothing is lost and some events may arrive twice.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: TokenEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += BATCH) {
      let entries: PutEventsRequestEntry[] = events.slice(start, start + BATCH).map((event) => ({
        EventBusName: this.busName,
        Source: EVENT_SOURCE,
        DetailType: event.type,
        Time: new Date(event.time),
        Detail: JSON.stringify(event),
      }));
      for (let attempt = 1; entries.length > 0; attempt++) {
        const result = await this.client.send(new PutEventsCommand({ Entries: entries }));
        if (!result.FailedEntryCount) break;
        entries = entries.filter((_entry, i) => result.Entries?.[i]?.ErrorCode !== undefined);
        if (attempt >= ATTEMPTS)
          throw new Error(
            `EventBridge refused ${entries.length} event(s): ${result.Entries?.find((e) => e.ErrorCode)?.ErrorCode}`,
          );
      }
    }
  }
}

export function eventBridgePublisher(region: string, busName: string): EventBridgePublisher {
  return new EventBridgePublisher(new EventBridgeClient({ region }), busName);
}
