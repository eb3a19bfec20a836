import { describe, expect, it } from '@jest/globals';
import { readConfig } from '../../shared/kernel/config.js';
import { keyQueue, parseKeyWork, QueuedKeyChanges } from '../../shared/ratelimit/key-queue.js';

/** The key worker's messages as it reads them: only ours are work; anything else goes to the dead-letter queue. */

const token = { kind: 'token', serviceAccountId: 'sa-etl', name: 'ci', lookupId: 'L1' };
const policy = { kind: 'policy', serviceAccountId: 'sa-etl', policyId: 'P1' };
const parse = (body: object) => parseKeyWork(JSON.stringify({ ...body, at: '2026-12-06T09:00:00.000Z' }));

describe('a key message', () => {
  it('names a token or a policy, a key to delete, or both, and whether to ask API Gateway again', () => {
    expect(parse({ owner: { ...token, extra: 'x' } })).toStrictEqual({ owner: token });
    expect(parse({ owner: policy, deletedKeyId: 'k1', recheck: true })).toStrictEqual({
      owner: policy,
      deletedKeyId: 'k1',
      recheck: true,
    });
    expect(parse({ deletedKeyId: 'k2', recheck: 'yes' })).toStrictEqual({ deletedKeyId: 'k2' });
  });

  it('is refused when its owner is not one of ours, or it names nothing to do', () => {
    expect(() => parse({ owner: { ...token, lookupId: '' } })).toThrow(/no owner of ours/);
    expect(() => parse({ owner: { kind: 'policy', serviceAccountId: 'sa-etl' } })).toThrow(/no owner of ours/);
    expect(() => parse({ owner: { kind: 'user', serviceAccountId: 'sa-etl' } })).toThrow(/no owner of ours/);
    expect(() => parse({ deletedKeyId: 7 })).toThrow(/neither an owner nor a key/);
    expect(() => parseKeyWork('not json')).toThrow();
  });
});

describe('the request path’s wiring', () => {
  it('queues key changes only where the stack names the queue; elsewhere the local limiter stands in', () => {
    expect(keyQueue(readConfig({ TABLE_NAME: 't' }), {} as never)).toStrictEqual({});
    const env = { TABLE_NAME: 't', REST_API_ID: 'a1', API_STAGE: 'prod', KEY_QUEUE_URL: 'https://sqs.local/q.fifo' };
    expect(keyQueue(readConfig(env), {} as never).rateLimits).toBeInstanceOf(QueuedKeyChanges);
  });
});
