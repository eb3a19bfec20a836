import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { Config } from '../kernel/config.js';
import { logContext, type Observability } from '../http/observability.js';
import { eventBridgePublisher } from './eventbridge.js';
import { forwardRecords, type StreamRecordLike } from './forward.js';

/** What the forwarder uses. */
export type ForwarderDeps = Observability & { config: Pick<Config, 'audit' | 'region'> };

/**
 * The stream's handler: publishes a batch of new audit event items to the stack's bus. A
 * failure fails the batch, which the stream retries (so delivery is at least once:
 * subscribers deduplicate by event id).
 */
export function createForwarder(parts: ForwarderDeps) {
  const bus = parts.config.audit.eventBusName;
  if (!bus) throw new Error('EVENT_BUS_NAME must be set to forward audit events');
  const publisher = eventBridgePublisher(parts.config.region, bus);
  return middy<DynamoDBStreamEvent, void>()
    .use(logContext(parts.logger))
    .handler(async (event) => {
      const forwarded = await forwardRecords(event.Records as StreamRecordLike[], publisher);
      parts.logger.info('Audit events forwarded', { records: event.Records.length, forwarded });
    });
}
