import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { ConflictException } from '@aws-sdk/client-api-gateway';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { API_KEY_OPERATIONS, type ApiGatewayOperation, type ApiKeyAccess } from '../../infra/api-key-access.js';
import {
  authorizer,
  deployFunctions,
  queueFunctions,
  routes,
  scheduledFunctions,
  streamFunctions,
} from '../../infra/routes.js';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createForwarder } from '../../shared/audit/forwarder.js';
import { runLifecycle } from '../../shared/lifecycle/job.js';
import { createObservability } from '../../shared/http/observability.js';
import { createKeyWorker } from '../../shared/ratelimit/key-worker-handler.js';
import { QueuedKeyChanges } from '../../shared/ratelimit/key-queue.js';
import { Pacer } from '../../shared/ratelimit/pacer.js';
import { createSharedKeyPublisher } from '../../shared/ratelimit/publish-keys.js';
import { reconcileParts, scheduledReconcile } from '../../shared/ratelimit/scheduled-reconcile.js';
import { PublishedUsageKeys } from '../../shared/ratelimit/usage-keys.js';
import { keys, type Partition, partitionOf } from '../../shared/dynamodb/keys.js';
import { FakeApiGateway, type FakeKey } from '../ratelimit/fake-api-gateway.js';
import { FakeKeyQueue, lambdaContext } from '../ratelimit/fake-key-queue.js';
import { deployTiers, fakeGateway, localClient, QUEUE_URL, workerConfig } from '../ratelimit/deployed.js';
import { onDynamoDbCommand } from './support/dynamodb-calls.js';
import { adminTokens, domainTokens, startTestService, type TestService } from '../support/service.js';
import { GITHUB_CLAIMS, startCiIssuer } from '../support/ci-issuer.js';

/**
 * Least privilege, as the functions behave: every DynamoDB, API Gateway and SQS call each
 * function makes, over a session wired as in AWS that reaches every route, the key
 * worker's every branch and reconcile's repairs, is recorded by function, and compared
 * with what the route table grants it (the CDK stack turns the same declarations into
 * IAM). A call outside the grant would be AccessDenied in AWS; a grant never used is
 * privilege to take away.
 */

const phase = new AsyncLocalStorage<string>();
/** function id -> "dynamodb:Action partition" and "apigateway Operation" entries. */
const used = new Map<string, Set<string>>();
const note = (entry: string) => {
  const id = phase.getStore();
  if (id === undefined) return;
  if (!used.has(id)) used.set(id, new Set());
  used.get(id)!.add(entry);
};

onDynamoDbCommand((command) => {
  for (const [action, pk] of accessesOf(command.constructor.name, command.input))
    note(`dynamodb:${action} ${pk === undefined ? '-' : (partitionOf(pk) ?? pk)}`);
});

const pkOf = (key: any): string | undefined => (typeof key?.pk === 'string' ? key.pk : key?.pk?.S);

/** The IAM actions a command is authorised as, each with the partition it reaches. */
function accessesOf(name: string, input: any): [string, string | undefined][] {
  const action = name.replace(/(Item)?Command$/, '');
  switch (action) {
    case 'Get':
    case 'Update':
    case 'Delete':
      return [[`${action}Item`, pkOf(input.Key)]];
    case 'Put':
      return [['PutItem', pkOf(input.Item)]];
    case 'Query': {
      // The partition key's condition comes first: the table's `pk`, or an index's key.
      const placeholder = /^\s*[#\w]+\s*=\s*(:\w+)/.exec(input.KeyConditionExpression ?? '')?.[1];
      const value = placeholder === undefined ? undefined : input.ExpressionAttributeValues?.[placeholder];
      return [['Query', typeof value === 'string' ? value : value?.S]];
    }
    case 'Scan':
      return [['Scan', undefined]];
    case 'BatchGet':
    case 'BatchGetItem':
      return Object.values(input.RequestItems ?? {}).flatMap((request: any) =>
        request.Keys.map((key: any): [string, string | undefined] => ['BatchGetItem', pkOf(key)]),
      );
    case 'TransactWrite':
    case 'TransactWriteItems':
      return (input.TransactItems ?? []).map((item: any): [string, string | undefined] => {
        if (item.Put) return ['PutItem', pkOf(item.Put.Item)];
        if (item.Update) return ['UpdateItem', pkOf(item.Update.Key)];
        if (item.Delete) return ['DeleteItem', pkOf(item.Delete.Key)];
        return ['ConditionCheckItem', pkOf(item.ConditionCheck?.Key)];
      });
    default:
      return [[name, undefined]];
  }
}

const ACCOUNT = 'sa-etl';
const FIN = domainTokens('finance', ACCOUNT);
const ADMIN = adminTokens(ACCOUNT);
/** The deployment's ceiling of rate-limited tokens and policies, small enough for the session to reach. */
const CEILING = 10;
let api: TestService;
let fake: FakeApiGateway;
let queue: FakeKeyQueue;
let cloudFormation: Server;
let githubKeys: Server;
let shared: { unthrottled: FakeKey; pooled: Map<number, FakeKey>; tierPlans: Map<number, string> };
let worker: ReturnType<typeof createKeyWorker>;
/** The worker's and reconcile's own time: their pacing passes at once. */
let now = Date.now();
const pacing = { now: () => now, sleep: async (ms: number) => void (now += ms) };
const github = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

beforeAll(async () => {
  // GitHub's published signing keys, for the secret scanning route.
  githubKeys = createServer((_request, response) =>
    response.end(
      JSON.stringify({
        public_keys: [
          { key_identifier: 'k1', key: github.publicKey.export({ type: 'spki', format: 'pem' }), is_current: true },
        ],
      }),
    ),
  ).listen(0, '127.0.0.1');
  await new Promise((resolve) => githubKeys.once('listening', resolve));
  fake = new FakeApiGateway();
  fake.beforeCommand = async (command) => note(`apigateway ${command}`);
  queue = new FakeKeyQueue(() => now);
  queue.onSend = () => note('sqs SendMessage');
  let published: PublishedUsageKeys | undefined;
  api = await startTestService({
    // The limit applies to the session below: reaching it makes the create recount.
    // The session fails requests on purpose; their error logs would only be noise here.
    env: {
      TOKEN_LIMIT_PER_ACCOUNT: '20',
      RATE_LIMITED_MAX: String(CEILING),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      GITHUB_SECRET_SCANNING_KEYS_URL: `http://127.0.0.1:${(githubKeys.address() as { port: number }).port}/`,
      // The session's CI issuer runs on this machine.
      FEDERATION_ALLOW_LOOPBACK_ISSUERS: 'true',
    },
    parts: () => ({
      rateLimits: new QueuedKeyChanges(localClient(SQSClient), QUEUE_URL, () => new Date()),
      usageKeys: { keyFor: (holder, at) => published!.keyFor(holder, at) },
    }),
    around: (functionId, invoke) => phase.run(functionId, invoke),
  });
  published = new PublishedUsageKeys(api.documentClient, api.tableName);
  shared = await deployTiers(fake, api.documentClient, api.tableName);
  const config = workerConfig(api.tableName);
  worker = createKeyWorker(
    { ...createObservability(config), config, documents: api.documentClient, clock: () => new Date(now) },
    { gateway: fakeGateway(), pacing },
  );
  cloudFormation = createServer((request, response) => request.resume().on('end', () => response.end())).listen(0);
  await new Promise((resolve) => cloudFormation.once('listening', resolve));

  // The deploy-time publisher, as CloudFormation calls it.
  const publisher = createSharedKeyPublisher(
    api.service.runtime,
    fakeGateway(),
    new Pacer({ callsPerSecond: 2, ...pacing }),
  );
  const { port } = cloudFormation.address() as { port: number };
  await phase.run('publish-shared-key', () =>
    publisher({
      RequestType: 'Create',
      ResourceProperties: {
        ApiKeyId: shared.unthrottled.id,
        PooledKeyIds: Object.fromEntries([...shared.pooled].map(([rps, key]) => [String(rps), key.id])),
      },
      ResponseURL: `http://127.0.0.1:${port}/`,
      StackId: 's',
      RequestId: 'r',
      LogicalResourceId: 'l',
    } as never),
  );
  await session();
});

/** The key worker, as its queue invokes it, until the queue is empty. */
async function drain(): Promise<void> {
  await phase.run('key-worker', async () => {
    for (;;) {
      if (await queue.deliver(worker, () => lambdaContext(() => now))) continue;
      if (queue.nextVisibleAt === undefined) return;
      now = Math.max(now, queue.nextVisibleAt);
    }
  });
}

afterAll(async () => {
  fake?.restore();
  queue?.restore();
  cloudFormation?.closeAllConnections();
  cloudFormation?.close();
  githubKeys?.close();
  await api?.stop();
});

async function ok(expected: number, reply: Promise<{ status: number; body: any }>) {
  const { status, body } = await reply;
  expect({ status, code: body?.code }).toMatchObject({ status: expected });
  return body;
}

/** A session that reaches every route, every branch that touches the table, and the key worker's and reconcile's. */
async function session(): Promise<void> {
  const conflictAfter = () =>
    fake.fail('CreateUsagePlanKey', {
      when: 'after',
      error: () => new ConflictException({ message: 'Usage Plan already contains the key', $metadata: {} }),
    });
  for (const [base, manager] of [
    [FIN, 'alice'],
    [ADMIN, 'root'],
  ] as const) {
    const tag = base === FIN ? 'd' : 'a';
    const deprecated =
      base === FIN ? '/api/v1/domains/finance/auth/service-accounts/tokens' : '/api/v1/auth/service-accounts/tokens';
    const creates = [
      (name: string, maxRps?: number) => api.call('POST', base, { as: manager, body: { name, maxRps } }),
      (name: string, maxRps?: number) =>
        api.call('POST', deprecated, { as: manager, body: { serviceAccountId: ACCOUNT, name, maxRps } }),
    ];
    let rotatable = '';
    for (const [i, create] of creates.entries()) {
      const prefix = `${tag}${i}`;
      const created = await ok(201, create(`${prefix}-limited`, 5));
      rotatable = created.token;
      await ok(201, create(`${prefix}-unlimited`));
      await ok(409, create(`${prefix}-limited`, 5));
      await ok(200, api.call('GET', '/api/v1/auth/whoami', { token: created.token }));
    }
    // The worker makes their keys; one membership answers Conflict after taking effect (an SDK retry).
    conflictAfter();
    await drain();
    await ok(200, api.call('GET', base, { as: manager }));
    await ok(200, api.call('GET', '/api/v1/auth/whoami', { as: manager }));
    await ok(200, api.call('PATCH', `${base}/${tag}0-limited`, { as: manager, body: { status: 'SUSPENDED' } }));
    // Another tier: the worker moves the key. A limit set takes a place, a limit removed gives it back.
    await ok(200, api.call('PATCH', `${base}/${tag}0-limited`, { as: manager, body: { maxRps: 300 } }));
    await ok(200, api.call('PATCH', `${base}/${tag}0-unlimited`, { as: manager, body: { maxRps: 3 } }));
    await drain();
    await ok(200, api.call('PATCH', `${base}/${tag}0-unlimited`, { as: manager, body: { maxRps: null } }));
    await ok(204, api.call('DELETE', `${base}/${tag}0-limited`, { as: manager }));
    await drain();
    // Rotation (a second one refused while the first's grace runs), the audit trail, a
    // token's view of itself, and a replaced secret presented after its grace period.
    const first = await ok(
      200,
      api.call('POST', `${base}/${tag}1-limited/rotate`, { as: manager, body: { gracePeriodSeconds: 60 } }),
    );
    await ok(200, api.call('GET', '/api/v1/auth/whoami', { token: rotatable }));
    await ok(409, api.call('POST', `${base}/${tag}1-limited/rotate`, { as: manager }));
    const second = await ok(
      200,
      api.call('POST', `${base}/${tag}1-limited/rotate`, { as: manager, body: { gracePeriodSeconds: 0, force: true } }),
    );
    await ok(401, api.call('GET', '/api/v1/auth/whoami', { token: first.token }));
    // A rotation's grace period ended early (and nothing left to end after it).
    const rotated = await ok(200, api.call('POST', `${base}/${tag}1-limited/rotate`, { as: manager }));
    await ok(200, api.call('DELETE', `${base}/${tag}1-limited/previous-secret`, { as: manager }));
    await ok(409, api.call('DELETE', `${base}/${tag}1-limited/previous-secret`, { as: manager }));
    await ok(401, api.call('GET', '/api/v1/auth/whoami', { token: second.token }));
    await ok(200, api.call('GET', base.replace(/\/tokens$/, '/token-events'), { as: manager }));
    // An admin's view of the account's incarnations, and of one of them by name.
    if (base === ADMIN) {
      const listed = await ok(200, api.call('GET', base.replace(/\/tokens$/, '/incarnations'), { as: manager }));
      const named = `${base.replace(/\/tokens$/, '/token-events')}?incarnation=${listed.incarnations[0].incarnation}`;
      await ok(200, api.call('GET', named, { as: manager }));
    }
    await ok(200, api.call('GET', '/api/v1/auth/tokens/self', { token: rotated.token }));
    // A signed secret scanning report of the rotated token: suspended, with its event.
    if (base !== FIN) continue;
    const report = JSON.stringify([
      { token: rotated.token, type: 'iomsat', url: 'https://github.com/o/r', source: 'content' },
    ]);
    const signature = sign('sha256', Buffer.from(report), { key: github.privateKey, dsaEncoding: 'der' }).toString(
      'base64',
    );
    const feedback = await ok(
      200,
      api.call('POST', '/api/v1/secret-scanning/github', {
        rawBody: report,
        headers: {
          'Content-Type': 'application/json',
          'Github-Public-Key-Identifier': 'k1',
          'Github-Public-Key-Signature': signature,
        },
      }),
    );
    expect(feedback[0].label).toBe('true_positive');
  }
  // The directory's listings, as the console reads them.
  await ok(200, api.call('GET', '/api/v1/domains/finance/members?limit=2', { as: 'alice' }));
  await ok(200, api.call('GET', '/api/v1/domains/finance/members/sa-etl', { as: 'alice' }));
  await ok(200, api.call('GET', '/api/v1/auth/users?limit=2', { as: 'root' }));
  await ok(200, api.call('GET', '/api/v1/auth/users/sa-etl', { as: 'root' }));
  await federationSession();

  // The ceiling of rate-limited tokens reached: every route that may take a place reads
  // the capacity's shards before it refuses.
  let fill = 0;
  while ((await api.call('POST', FIN, { as: 'alice', body: { name: `limit-${fill++}`, maxRps: 2 } })).status === 201);
  for (const [base, manager, deprecated] of [
    [FIN, 'alice', '/api/v1/domains/finance/auth/service-accounts/tokens'],
    [ADMIN, 'root', '/api/v1/auth/service-accounts/tokens'],
  ] as const) {
    await ok(409, api.call('POST', base, { as: manager, body: { name: 'over', maxRps: 2 } }));
    await ok(
      409,
      api.call('POST', deprecated, { as: manager, body: { serviceAccountId: ACCOUNT, name: 'over', maxRps: 2 } }),
    );
    await ok(409, api.call('PATCH', `${base}/d1-unlimited`, { as: manager, body: { maxRps: 2 } }));
    const policies = base.replace(/\/tokens$/, '/federation-policies');
    const policy = { name: 'over', issuer: 'https://token.actions.githubusercontent.com', subject: 'x', maxRps: 2 };
    await ok(409, api.call('POST', policies, { as: manager, body: policy }));
  }
  await drain();
  // The account's limit reached: every create recounts the account's tokens before it refuses.
  while ((await api.call('POST', FIN, { as: 'alice', body: { name: `fill-${fill++}` } })).status === 201);
  await ok(409, api.call('POST', FIN, { as: 'alice', body: { name: 'one-too-many' } }));
  await ok(409, api.call('POST', ADMIN, { as: 'root', body: { name: 'one-too-many' } }));
  await ok(
    409,
    api.call('POST', '/api/v1/domains/finance/auth/service-accounts/tokens', {
      as: 'alice',
      body: { serviceAccountId: ACCOUNT, name: 'one-too-many' },
    }),
  );
  await ok(
    409,
    api.call('POST', '/api/v1/auth/service-accounts/tokens', {
      as: 'root',
      body: { serviceAccountId: ACCOUNT, name: 'one-too-many' },
    }),
  );

  // Drift for reconcile: a key deleted by hand, and a limited token DynamoDB TTL removed
  // (its key an orphan, its place counted still). Reconcile queues both, and the worker
  // repairs them; a key found gone is replaced, the orphan deleted.
  const items = await api.scanTable();
  const itemOf = (name: string) => items.find((item) => item.sk === `TOKEN#${name}`)!;
  fake.keys.delete(String(itemOf('d1-limited').apiKeyId));
  const removed = itemOf('a1-limited');
  await api.documentClient.send(
    new DeleteCommand({ TableName: api.tableName, Key: keys.token(ACCOUNT, 'a1-limited') }),
  );
  await api.documentClient.send(
    new DeleteCommand({ TableName: api.tableName, Key: keys.credential(String(removed.lookupId)) }),
  );
  const config = workerConfig(api.tableName);
  const deps = {
    ...createObservability(config),
    config,
    documents: api.documentClient,
    clock: () => new Date(now + 3_600_000),
  };
  const reconcile = scheduledReconcile(deps, {
    ...reconcileParts(deps, fakeGateway()),
    pacer: new Pacer({ callsPerSecond: 1, ...pacing }),
    orphanGraceSeconds: 0,
  });
  const summary = await phase.run('reconcile', () => reconcile({}, {} as never));
  expect(summary).toMatchObject({ drifted: 2, unrepaired: 0, recounted: 1 });
  await drain();
  expect(await phase.run('reconcile', () => reconcile({}, {} as never))).toMatchObject({ drifted: 0 });

  // The lifecycle job, a year on, with unused-token suspension on: every active token of
  // the session is by then unused, and the one with an expiry has notices due.
  const { runtime: lifecycleRuntime } = api.service;
  const yearOn = new Date(Date.now() + 365 * 86_400_000);
  await api.documentClient.send(
    new UpdateCommand({
      TableName: api.tableName,
      Key: keys.token(ACCOUNT, 'a0-unlimited'),
      UpdateExpression: 'SET expiresAt = :expires, noticeAt = :notice',
      ExpressionAttributeValues: {
        ':expires': new Date(yearOn.getTime() + 10 * 86_400_000).toISOString(),
        ':notice': new Date(yearOn.getTime() - 4 * 86_400_000).toISOString(),
      },
    }),
  );
  const lifecycle = await phase.run('lifecycle', () =>
    runLifecycle(
      {
        lifecycle: lifecycleRuntime.lifecycle,
        clock: () => yearOn,
        ids: lifecycleRuntime.ids,
        suspendUnusedAfterDays: 30,
      },
      yearOn,
    ),
  );
  expect(lifecycle).toMatchObject({ expiring: 1, skipped: 0 });
  expect(lifecycle.suspendedUnused).toBeGreaterThan(0);

  // The stream forwarder, with the session's events as the stream delivers them (EventBridge faked).
  const eventbridge = mockClient(EventBridgeClient);
  eventbridge.on(PutEventsCommand).callsFake(() => {
    note('eventbridge PutEvents');
    return { FailedEntryCount: 0, Entries: [] };
  });
  const runtime = api.service.runtime;
  const forwarder = createForwarder({
    ...runtime,
    config: { ...runtime.config, audit: { ...runtime.config.audit, eventBusName: 'audit' } },
  });
  const records = (await api.scanTable())
    .filter((item) => String(item.pk).startsWith('EVENTS#'))
    .map((item) => ({ eventName: 'INSERT', dynamodb: { NewImage: marshall(item) } }));
  await phase.run('forward-events', () =>
    forwarder({ Records: records } as never, { functionName: 'forward-events', awsRequestId: 'r' } as never),
  );
  expect(eventbridge.commandCalls(PutEventsCommand).length).toBeGreaterThan(0);
  eventbridge.restore();
}

/**
 * Federation on both bases: policies with a limit (their one key made by the worker),
 * listed, read, tested; exchanges issued, replayed (a refusal's own event) and used; the
 * policies deleted with their keys.
 */
async function federationSession(): Promise<void> {
  const ci = await startCiIssuer();
  const audience = 'https://tokens.example.test';
  const form = (jwt: string) =>
    new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: jwt,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      service_account_id: ACCOUNT,
    }).toString();
  const exchange = (jwt: string) =>
    api.call('POST', '/api/v1/auth/token', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      rawBody: form(jwt),
    });
  try {
    for (const [base, manager] of [
      [FIN, 'alice'],
      [ADMIN, 'root'],
    ] as const) {
      const policies = base.replace(/\/tokens$/, '/federation-policies');
      const body = (name: string, maxRps: number) => ({
        name,
        issuer: ci.issuer,
        audiences: [audience],
        subject: 'repo:org/app:**',
        maxRps,
      });
      const policy = await ok(201, api.call('POST', policies, { as: manager, body: body('ci', 41) }));
      await drain();
      await ok(200, api.call('GET', policies, { as: manager }));
      await ok(200, api.call('GET', `${policies}/${policy.policyId}`, { as: manager }));
      const jwt = await ci.issue(audience, { ...GITHUB_CLAIMS });
      await ok(
        200,
        api.call('POST', `${policies}/${policy.policyId}/test`, { as: manager, body: { subjectToken: jwt } }),
      );
      const issued = await ok(200, exchange(jwt));
      await ok(400, exchange(jwt));
      await ok(200, api.call('GET', '/api/v1/auth/whoami', { token: issued.access_token }));
      await ok(204, api.call('DELETE', `${policies}/${policy.policyId}`, { as: manager }));
      await drain();
    }
  } finally {
    await ci.close();
  }
}

const everyFunction = () => [
  ...routes.filter((route) => route.id !== 'health'),
  authorizer,
  ...scheduledFunctions,
  ...deployFunctions,
  ...queueFunctions,
  ...streamFunctions,
];

/** What a function is granted: its table actions on its partitions, its API Gateway operations, its queue. */
function granted(id: string): Set<string> {
  const fn = everyFunction().find((candidate) => candidate.id === id)!;
  const grants = new Set<string>();
  for (const action of fn.dynamodb)
    for (const partition of fn.partitions as Partition[]) grants.add(`${action} ${partition}`);
  if ('keyChanges' in fn && fn.keyChanges) grants.add('sqs SendMessage');
  const access = ('apiKeys' in fn ? fn.apiKeys : undefined) as ApiKeyAccess | undefined;
  for (const operation of access ? API_KEY_OPERATIONS[access] : ([] as ApiGatewayOperation[]))
    grants.add(`apigateway ${operation}`);
  if ('readsUnthrottledKey' in fn && fn.readsUnthrottledKey) grants.add('apigateway GetApiKey');
  if ('publishesEvents' in fn && fn.publishesEvents) grants.add('eventbridge PutEvents');
  return grants;
}

describe('every function calls only what it is granted', () => {
  it('has run every function', () => {
    expect(
      everyFunction()
        .map((fn) => fn.id)
        .filter((id) => !used.has(id)),
    ).toStrictEqual([]);
  });

  it('calls no usage plan operation from any function, nor API Gateway at all from the request path', () => {
    const planCalls = [...used].flatMap(([id, calls]) =>
      [...calls]
        .filter((call) => /apigateway (Create|Update|Delete)UsagePlan$|GetUsagePlans$/.test(call))
        .map((call) => `${id}: ${call}`),
    );
    expect(planCalls).toStrictEqual([]);
    const requestPath = routes.flatMap((route) =>
      [...(used.get(route.id) ?? [])].filter((call) => call.startsWith('apigateway')),
    );
    expect(requestPath).toStrictEqual([]);
  });

  for (const fn of everyFunction()) {
    it(`${fn.id}: no call beyond its grant`, () => {
      const calls = [...(used.get(fn.id) ?? [])].sort();
      expect(calls.filter((call) => !granted(fn.id).has(call))).toStrictEqual([]);
    });
  }

  // Grants are per action and per partition (IAM cannot pair them), so each action and
  // each partition declared must have been used at least once.
  for (const fn of everyFunction()) {
    it(`${fn.id}: every action and partition it is granted is used`, () => {
      const calls = [...(used.get(fn.id) ?? [])];
      const usedActions = new Set(calls.map((call) => call.split(' ')[0]));
      const usedPartitions = new Set(
        calls.filter((call) => call.startsWith('dynamodb:')).map((call) => call.split(' ')[1]),
      );
      expect(fn.dynamodb.filter((action) => !usedActions.has(action))).toStrictEqual([]);
      expect((fn.partitions as string[]).filter((partition) => !usedPartitions.has(partition))).toStrictEqual([]);
      const access = ('apiKeys' in fn ? fn.apiKeys : undefined) as ApiKeyAccess | undefined;
      const operations = access ? API_KEY_OPERATIONS[access] : [];
      expect(operations.filter((operation) => !calls.includes(`apigateway ${operation}`))).toStrictEqual([]);
      if ('keyChanges' in fn && fn.keyChanges) expect(calls).toContain('sqs SendMessage');
    });
  }
});
