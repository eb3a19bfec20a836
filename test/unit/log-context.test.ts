import { afterEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logContext } from '../../shared/http/observability.js';
import { jsonLogLines } from '../support/log-lines.js';

/**
 * Every function's log lines carry the invocation's Lambda context, and never the event:
 * events carry credentials (`X-API-Token`, `Authorization`), whatever the environment asks.
 */
const context = {
  functionName: 'whoami',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:whoami',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

describe('logContext', () => {
  afterEach(() => {
    delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  });

  it('puts the invocation on every line, and drops keys a handler appended once it ends', async () => {
    // What Lambda sets in an environment it started for a request: the first invocation is a cold start.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const handler = middy()
      .use(logContext(logger))
      .handler(async () => {
        logger.appendKeys({ step: 'inside' });
        logger.info('working');
      });
    const lines = await jsonLogLines(async () => {
      await handler({}, context);
      await handler({}, { ...context, awsRequestId: 'request-2' } as Context);
      logger.info('between invocations');
    });
    expect(lines.map((line) => [line.message, line.function_request_id, line.step])).toStrictEqual([
      ['working', 'request-1', 'inside'],
      ['working', 'request-2', 'inside'],
      ['between invocations', 'request-2', undefined],
    ]);
    expect(lines[0]).toMatchObject({ function_name: 'whoami', cold_start: true, function_memory_size: '256' });
    expect(lines[1]).toMatchObject({ cold_start: false });
  });

  it('drops the keys when the handler fails too', async () => {
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const handler = middy()
      .use(logContext(logger))
      .handler(async () => {
        logger.appendKeys({ step: 'failing' });
        throw new Error('boom');
      });
    const lines = await jsonLogLines(async () => {
      await expect(handler({}, context)).rejects.toThrow('boom');
      logger.info('after');
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toHaveProperty('step');
  });

  it('never logs the event, even when POWERTOOLS_LOGGER_LOG_EVENT asks for it', async () => {
    process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
    const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
    const handler = middy()
      .use(logContext(logger))
      .handler(async () => ({ statusCode: 200 }));
    const lines = await jsonLogLines(() => handler({ headers: { 'X-API-Token': 'iomsat_secret-value' } }, context));
    expect(JSON.stringify(lines)).not.toContain('secret-value');
    expect(lines).toStrictEqual([]);
  });
});
