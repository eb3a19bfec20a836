import { expect } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CompensationFailureReport } from '../../shared/kernel/ports.js';
import type { NewToken, StoredToken, TokenChanges, TokenStore } from '../../shared/tokens/ports.js';
import type { TokenBinding } from '../../shared/kernel/model.js';
import { ApiGateway } from '../../shared/ratelimit/api-gateway.mjs';
import { ApiGatewayRateLimits } from '../../shared/ratelimit/aws-rate-limits.js';
import { SharedUsageKey } from '../../shared/ratelimit/shared-usage-key.js';
import { DynamoRatePlanRecords } from '../../shared/ratelimit/rate-plan-records.js';
import { type ReconcileReport, reconcileRateLimits } from '../../shared/ratelimit/reconcile.js';
import { keys } from '../../shared/dynamodb/keys.js';
import { ensureTable } from '../../shared/dynamodb/table.js';
import { DynamoTokenStore } from '../../shared/tokens/token-store.js';
import { DynamoDirectoryStore } from '../../shared/directory/directory-store.js';
import { DynamoPolicyStore } from '../../shared/federation/policy-store.js';
import { type ImportDeps, importDirectory } from '../../shared/directory/import.js';
import { exampleDirectory } from '../support/service.js';
import { ids } from '../../shared/kernel/ids.js';
import { type CreatedToken, type CreateTokenDeps, createToken } from '../../shared/tokens/create-token.js';
import type { UpdateTokenDeps } from '../../shared/tokens/update-token.js';
import { FakeApiGateway } from './fake-api-gateway.js';
import type { TokenEvent } from '../../shared/kernel/events.js';

export const API = { restApiId: 'a1b2c3d4e5', stage: 'prod' };

/**
 * API Gateway's rate limits as a Lambda container builds them (its own plan cache and
 * client), on the table's plan records and shared key, against the faked control plane.
 */
export function awsRateLimits(options: {
  apiGateway: { restApiId: string; stage: string; keyWarmupSeconds?: number };
  documents: DynamoDBDocumentClient;
  tableName: string;
  onCompensationFailure?: CompensationFailureReport;
  clock?: () => Date;
}): ApiGatewayRateLimits {
  const shared = new SharedUsageKey(options.documents, options.tableName);
  return new ApiGatewayRateLimits({
    apiGateway: options.apiGateway,
    records: new DynamoRatePlanRecords(options.documents, options.tableName),
    sharedUsageKey: () => shared.get(),
    ...(options.onCompensationFailure ? { onCompensationFailure: options.onCompensationFailure } : {}),
    gateway: new ApiGateway(
      new APIGatewayClient({ region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    ),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

type StoreMethod = 'create' | 'update' | 'delete' | 'completePending';

/**
 * The real store with a switch to make its next write of one kind fail: before it takes
 * effect (an outage), or after (DynamoDB committed, but the answer was an error).
 */
export class FaultyTokenStore implements TokenStore {
  private readonly failing = new Map<StoreMethod, 'before' | 'after'>();
  private readonly interleaved: { method: StoreMethod; run: () => Promise<unknown>; remaining: number }[] = [];
  constructor(readonly inner: TokenStore) {}

  /** Runs `run` just before the next `times` writes of one kind: a concurrent request that wins the race. */
  interleave(method: StoreMethod, run: () => Promise<unknown>, times = 1): void {
    this.interleaved.push({ method, run, remaining: times });
  }

  failNext(method: StoreMethod, when: 'before' | 'after' = 'before'): void {
    this.failing.set(method, when);
  }

  private async faulty<T>(method: StoreMethod, write: () => Promise<T>): Promise<T> {
    const concurrent = this.interleaved.find((entry) => entry.method === method && entry.remaining > 0);
    if (concurrent) {
      concurrent.remaining -= 1;
      await concurrent.run();
    }
    const when = this.failing.get(method);
    this.failing.delete(method);
    const injected = () =>
      Object.assign(new Error(`injected ${method} failure`), {
        name: 'InternalServerError',
        $metadata: { httpStatusCode: 500 },
      });
    if (when === 'before') throw injected();
    const result = await write();
    if (when === 'after') throw injected();
    return result;
  }

  create(token: NewToken, limit: number, event?: TokenEvent) {
    return this.faulty('create', () => this.inner.create(token, limit, event));
  }
  completePending(token: StoredToken, binding: TokenBinding, event?: TokenEvent) {
    return this.faulty('completePending', () => this.inner.completePending(token, binding, event));
  }
  list(accountId: string, limit: number, afterName?: string) {
    return this.inner.list(accountId, limit, afterName);
  }
  get(accountId: string, name: string) {
    return this.inner.get(accountId, name);
  }
  update(current: StoredToken, changes: TokenChanges, updatedAt: string, event?: TokenEvent) {
    return this.faulty('update', () => this.inner.update(current, changes, updatedAt, event));
  }
  delete(current: StoredToken, event?: TokenEvent) {
    return this.faulty('delete', () => this.inner.delete(current, event));
  }
  reconcileCount(accountId: string) {
    return this.inner.reconcileCount(accountId);
  }
  all() {
    return this.inner.all();
  }
}

export interface Fixture {
  fake: FakeApiGateway;
  documents: DynamoDBDocumentClient;
  tableName: string;
  tokens: FaultyTokenStore;
  rateLimits: ApiGatewayRateLimits;
  deps: CreateTokenDeps & UpdateTokenDeps;
  /** What a directory import needs, on this fixture's table and API Gateway. */
  importDeps: ImportDeps;
  compensationFailures: string[];
  /** Another Lambda container: its own plan cache and client, the same table and API Gateway. */
  container(): ApiGatewayRateLimits;
  create(name: string, maxRps: number | null, serviceAccountId?: string): Promise<CreatedToken>;
  stored(name: string, serviceAccountId?: string): Promise<Record<string, unknown> | undefined>;
  credential(lookupId: string): Promise<Record<string, unknown> | undefined>;
  /** Removes a token's items as DynamoDB TTL would: behind the service's back. */
  removeBehindTheBack(name: string, serviceAccountId?: string): Promise<void>;
  reconcile(
    apply: boolean,
    options?: { graceSeconds?: number; emptyPlanGraceSeconds?: number; now?: () => Date },
  ): Promise<ReconcileReport>;
  /** Nothing to repair: every token with a limit has its key, in its plan, in the right state; nothing else is ours. */
  assertInStep(): Promise<void>;
  close(): void;
}

export async function ratelimitFixture(): Promise<Fixture> {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run the tests with npm test');
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const raw = new DynamoDBClient({ endpoint, region: 'local', credentials });
  const tableName = `rl-${randomUUID()}`;
  await ensureTable(raw, tableName, { stream: false });
  const documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });

  const fake = new FakeApiGateway();
  const compensationFailures: string[] = [];
  const container = () =>
    awsRateLimits({
      apiGateway: API,
      documents,
      tableName,
      onCompensationFailure: (_error, step) => compensationFailures.push(step),
    });
  const rateLimits = container();
  const tokens = new FaultyTokenStore(new DynamoTokenStore(documents, tableName));
  const deps: CreateTokenDeps & UpdateTokenDeps = {
    tokens,
    rateLimits,
    clock: () => new Date(),
    ids,
    config: { tokens: { limitPerAccount: 50, maxLifetimeDays: 365, retentionDays: 30 } },
    onCompensationFailure: (_error, step) => compensationFailures.push(step),
  };
  // Tokens exist only for service accounts of the directory: the example one has sa-etl.
  const importPorts: ImportDeps = {
    directory: new DynamoDirectoryStore(documents, tableName),
    tokens: deps,
    policies: {
      policies: new DynamoPolicyStore(documents, tableName, 400),
      rateLimits,
      clock: deps.clock,
      ids,
      defaultAudience: 'service-account-tokens',
    },
  };
  await importDirectory(importPorts, exampleDirectory(), { replace: true });
  const reconcile: Fixture['reconcile'] = (apply, options = {}) =>
    reconcileRateLimits(
      {
        tokens,
        rateLimits,
        clock: options.now ?? (() => new Date()),
        orphanGraceSeconds: options.graceSeconds ?? 0,
        ...(options.emptyPlanGraceSeconds === undefined
          ? {}
          : { emptyPlanGraceSeconds: options.emptyPlanGraceSeconds }),
      },
      { apply },
    );
  return {
    fake,
    documents,
    tableName,
    tokens,
    rateLimits,
    deps,
    importDeps: importPorts,
    compensationFailures,
    container,
    // As the endpoints do: for the incarnation of the account as read.
    create: async (name, maxRps, serviceAccountId = 'sa-etl') => {
      const { incarnation } = (await importPorts.directory.getPrincipal(serviceAccountId)) ?? {};
      return createToken(deps, { serviceAccountId, name, maxRps, expiresAt: null, createdBy: 'alice', incarnation });
    },
    async stored(name, serviceAccountId = 'sa-etl') {
      return (
        await documents.send(
          new GetCommand({ TableName: tableName, Key: keys.token(serviceAccountId, name), ConsistentRead: true }),
        )
      ).Item;
    },
    async credential(lookupId) {
      return (
        await documents.send(
          new GetCommand({ TableName: tableName, Key: keys.credential(lookupId), ConsistentRead: true }),
        )
      ).Item;
    },
    async removeBehindTheBack(name, serviceAccountId = 'sa-etl') {
      const item = (
        await documents.send(
          new GetCommand({ TableName: tableName, Key: keys.token(serviceAccountId, name), ConsistentRead: true }),
        )
      ).Item;
      if (!item) throw new Error('item is missing');
      await documents.send(new DeleteCommand({ TableName: tableName, Key: keys.token(serviceAccountId, name) }));
      await documents.send(new DeleteCommand({ TableName: tableName, Key: keys.credential(String(item.lookupId)) }));
    },
    reconcile,
    async assertInStep() {
      const report = await reconcile(false);
      // 'API Gateway should match the table'
      expect(report.drift).toStrictEqual([]);
    },
    close() {
      fake.restore();
      raw.destroy();
    },
  };
}
