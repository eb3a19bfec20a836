import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { readConfig } from '../../shared/kernel/config.js';
import { createSharedKeyPublisher } from '../../shared/ratelimit/publish-shared-key.js';
import { SharedKeyOnly, SharedUsageKey } from '../../shared/ratelimit/shared-usage-key.js';
import { createRuntime, type Runtime } from '../../shared/runtime/runtime.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { ensureTable } from '../../shared/dynamodb/table.js';
import { ApiGateway } from '../../shared/ratelimit/api-gateway.mjs';
import { FakeApiGateway } from './fake-api-gateway.js';

/**
 * The shared unthrottled key's value reaches the authorizer through the table: written
 * at deploy time by a custom resource, read at most once per container.
 */
let runtime: Runtime;
let fake: FakeApiGateway;
let cloudFormation: Server;
let answers: { body: Record<string, unknown>; contentType: string | undefined }[] = [];
let responseUrl: string;

beforeAll(async () => {
  const config = readConfig({
    DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT,
    TABLE_NAME: `sk-${randomUUID()}`,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  runtime = createRuntime(config);
  await ensureTable(runtime.documents, config.tableName, { stream: false });
  fake = new FakeApiGateway();
  // CloudFormation's pre-signed response URL.
  cloudFormation = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      answers.push({ body: JSON.parse(text), contentType: req.headers['content-type'] });
      res.end();
    });
  });
  await new Promise<void>((resolve) => cloudFormation.listen(0, '127.0.0.1', resolve));
  const address = cloudFormation.address();
  responseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/response?signature=x`;
});
afterEach(() => {
  answers = [];
  fake.resetCalls();
});
afterAll(async () => {
  fake.restore();
  runtime.documents.destroy();
  await new Promise((resolve) => cloudFormation.close(resolve));
});

function event(type: 'Create' | 'Update' | 'Delete', apiKeyId: string): CloudFormationCustomResourceEvent {
  return {
    RequestType: type,
    ServiceToken: 'arn:aws:lambda:eu-west-1:000000000000:function:publish',
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:eu-west-1:000000000000:stack/tokens/1',
    RequestId: randomUUID(),
    LogicalResourceId: 'SharedUsageKey',
    ResourceType: 'Custom::SharedUsageKey',
    ResourceProperties: { ServiceToken: 'x', ApiKeyId: apiKeyId },
    ...(type === 'Create' ? {} : { PhysicalResourceId: 'shared-usage-key', OldResourceProperties: {} }),
  } as CloudFormationCustomResourceEvent;
}

const stored = async () =>
  (
    await runtime.documents.send(
      new GetCommand({ TableName: runtime.config.tableName, Key: keys.sharedUsageKey(), ConsistentRead: true }),
    )
  ).Item;

describe('the deploy-time custom resource', () => {
  const publisher = () =>
    createSharedKeyPublisher(
      runtime,
      new ApiGateway(
        new APIGatewayClient({ region: 'local', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
      ),
    );

  it('copies the key value into the table and answers SUCCESS, without the value', async () => {
    const key = fake.addKey('UnthrottledKey');
    await publisher()(event('Create', key.id));
    expect((await stored())?.value).toBe(key.value);
    expect(answers).toHaveLength(1);
    expect(answers[0]!.body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'shared-usage-key',
      LogicalResourceId: 'SharedUsageKey',
      NoEcho: true,
    });
    expect(JSON.stringify(answers[0])).not.toContain(key.value);
    expect(fake.callsOf('GetApiKey')).toStrictEqual([{ apiKey: key.id, includeValue: true }]);
  });

  it('answers FAILED, naming no value, when the key cannot be read; the deployment then fails instead of waiting', async () => {
    await publisher()(event('Update', 'no-such-key'));
    expect(answers[0]!.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'shared-usage-key' });
    expect(String(answers[0]!.body.Reason)).toMatch(/NotFoundException/);
  });

  it('leaves the value in place on delete: the table outlives the stack', async () => {
    const key = fake.addKey('Another');
    await publisher()(event('Create', key.id));
    answers = [];
    fake.resetCalls();
    await publisher()(event('Delete', key.id));
    expect(answers[0]!.body).toMatchObject({ Status: 'SUCCESS' });
    expect(fake.calls).toStrictEqual([]);
    expect((await stored())?.value).toBe(key.value);
  });
});

describe('the authorizer’s read of the shared key', () => {
  it('reads it once per container, and again only after a failed read', async () => {
    await new SharedUsageKey(runtime.documents, runtime.config.tableName).publish('shared-value-0123456789');
    let reads = 0;
    let failNext = true;
    const documents = {
      send: (command: unknown) => {
        reads += 1;
        if (failNext) {
          failNext = false;
          return Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
        }
        return runtime.documents.send(command as never);
      },
    } as unknown as Runtime['documents'];
    const container = new SharedKeyOnly(new SharedUsageKey(documents, runtime.config.tableName));
    await expect(container.sharedUsageKey()).rejects.toThrow('throttled');
    const values = await Promise.all(Array.from({ length: 20 }, () => container.sharedUsageKey()));
    expect(new Set(values)).toStrictEqual(new Set(['shared-value-0123456789']));
    expect(reads).toBe(2);
  });

  it('says what is wrong when the deployment has not written it', async () => {
    await runtime.documents.send(
      new DeleteCommand({ TableName: runtime.config.tableName, Key: keys.sharedUsageKey() }),
    );
    await expect(new SharedUsageKey(runtime.documents, runtime.config.tableName).get()).rejects.toThrow(
      /deploy the stack/,
    );
  });

  it('refuses to manage keys in a function not wired for it, naming the wiring', async () => {
    const only = new SharedKeyOnly(new SharedUsageKey(runtime.documents, runtime.config.tableName));
    await expect(only.bind({ lookupId: 'x', maxRps: 1, enabled: true })).rejects.toThrow(/apiGatewayKeys/);
  });
});
