import { afterEach, describe, expect, it } from '@jest/globals';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { EVENT_SOURCE, EventBridgePublisher } from '../../shared/audit/eventbridge.js';
import { eventsOf, forwardRecords } from '../../shared/audit/forward.js';
import { eventItem } from '../../shared/dynamodb/event-items.js';
import { keys } from '../../shared/dynamodb/keys.js';
import type { TokenEvent } from '../../shared/kernel/events.js';

/**
 * The forwarder between the table's stream and subscribers, with EventBridge faked at
 * the SDK boundary (it cannot run here): only new event items are forwarded, in batches
 * PutEvents takes, and entries it refuses are sent again until they are taken or the
 * batch fails (to be retried by the stream: at least once).
 */

const eventbridge = mockClient(EventBridgeClient);
afterEach(() => {
  eventbridge.reset();
});

function event(n: number): TokenEvent {
  return {
    id: `${`0000000${n}`.slice(-9)}abcdef012345`,
    time: new Date(Date.UTC(2026, 11, 1, 9, 0, n)).toISOString(),
    type: 'token.updated',
    serviceAccountId: 'sa-etl',
    tokenName: `t${n}`,
    actor: { userId: 'alice', authenticatedBy: 'JWT' },
    requestId: 'r',
    sourceIp: '203.0.113.9',
    userAgent: 'ua',
    changes: { status: { before: 'ACTIVE', after: 'SUSPENDED' } },
  };
}

const insert = (item: Record<string, unknown>) => ({
  eventName: 'INSERT',
  dynamodb: { NewImage: marshall(item, { removeUndefinedValues: true }) as never },
});

describe('the forwarder', () => {
  it('takes only new event items from a stream batch: no token writes, no removals, no modifications', () => {
    const records = [
      insert(eventItem(event(1), 400)),
      insert({ ...keys.token('sa-etl', 'x'), name: 'x' }),
      { eventName: 'REMOVE', dynamodb: { NewImage: marshall(eventItem(event(2), 400)) as never } },
      { eventName: 'MODIFY', dynamodb: { NewImage: marshall(eventItem(event(3), 400)) as never } },
      insert(eventItem(event(4), 400)),
      { eventName: 'INSERT', dynamodb: {} },
    ];
    expect(eventsOf(records)).toStrictEqual([event(1), event(4)]);
  });

  it('publishes to the bus in batches of ten, with the source and the event type as detail-type', async () => {
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const publisher = new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }), 'audit-bus');
    const forwarded = await forwardRecords(
      Array.from({ length: 23 }, (_, i) => insert(eventItem(event(i), 400))),
      publisher,
    );
    expect(forwarded).toBe(23);
    const calls = eventbridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries!);
    expect(calls.map((entries) => entries.length)).toStrictEqual([10, 10, 3]);
    expect(calls[0]![0]).toMatchObject({
      EventBusName: 'audit-bus',
      Source: EVENT_SOURCE,
      DetailType: 'token.updated',
    });
    expect(JSON.parse(calls[0]![0]!.Detail!)).toStrictEqual(event(0));
  });

  it('sends refused entries again, and fails the batch (to be retried) when they keep being refused', async () => {
    eventbridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException' }] })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    const publisher = new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }), 'audit-bus');
    await publisher.publish([event(1), event(2)]);
    const sent = eventbridge
      .commandCalls(PutEventsCommand)
      .map((call) => call.args[0].input.Entries!.map((entry) => JSON.parse(entry.Detail!).tokenName));
    expect(sent).toStrictEqual([['t1', 't2'], ['t2']]);

    eventbridge.reset();
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    await expect(publisher.publish([event(3)])).rejects.toThrow(/InternalFailure/);
    expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(3);
  });
});
