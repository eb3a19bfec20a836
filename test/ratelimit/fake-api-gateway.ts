import { randomBytes } from 'node:crypto';
import {
  APIGatewayClient,
  BadRequestException,
  ConflictException,
  CreateApiKeyCommand,
  type CreateApiKeyRequest,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  type CreateUsagePlanKeyRequest,
  type CreateUsagePlanRequest,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeyCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  LimitExceededException,
  NotFoundException,
  type PatchOperation,
  TooManyRequestsException,
  UpdateApiKeyCommand,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';

/**
 * API Gateway's control plane for keys and usage plans, in memory, behind the SDK client
 * (its `send`, for every client, until `restore`): the part of AWS that cannot run here.
 * It keeps the rules that matter to the adapter: a key in one plan per stage, a plan with
 * stages cannot be deleted, ids that do not exist are NotFound. Faults are injected per command, either
 * before the call takes effect or after it (the answer is lost).
 *
 * With `quotas`, it also holds every caller of the account to AWS's documented quotas
 * (`QUOTAS`), on its clock (`now`, which a simulation moves), answering as the SDK does:
 * `TooManyRequestsException` over a rate, `LimitExceededException` over a count. Calls
 * made for others in the account (`spend`) take from the same budget. `overQuota`
 * counts the calls it refused for a quota.
 */

export interface FakeKey {
  id: string;
  name: string;
  value: string;
  enabled: boolean;
  createdDate: Date;
  /** When it last joined a usage plan: what the data plane counts propagation from. */
  joinedAt?: Date;
}

export interface FakePlan {
  id: string;
  name: string;
  rateLimit: number | undefined;
  burstLimit: number | undefined;
  stages: string[];
  keyIds: Set<string>;
}

export type CommandName =
  | 'CreateApiKey'
  | 'GetApiKey'
  | 'GetApiKeys'
  | 'UpdateApiKey'
  | 'DeleteApiKey'
  | 'CreateUsagePlan'
  | 'UpdateUsagePlan'
  | 'DeleteUsagePlan'
  | 'GetUsagePlans'
  | 'CreateUsagePlanKey'
  | 'DeleteUsagePlanKey'
  | 'GetUsagePlanKey'
  | 'GetUsagePlanKeys';

/**
 * AWS's quotas for an account and Region (Amazon API Gateway quotas, docs/rate-limiting.md
 * cites the pages): rates as token buckets (per second, and the burst), counts as limits.
 */
export const QUOTAS = {
  /** Every control-plane operation together: 10 requests a second, burst 40. */
  total: { rate: 10, burst: 40 },
  /** Per operation, within the total. */
  operations: {
    CreateApiKey: { rate: 5, burst: 5 },
    DeleteApiKey: { rate: 5, burst: 5 },
    UpdateUsagePlan: { rate: 1 / 20, burst: 1 },
  } as Partial<Record<CommandName, { rate: number; burst: number }>>,
  apiKeys: 10_000,
  usagePlans: 300,
  plansPerKey: 10,
} as const;

class Bucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }
  /** Whether a request may pass at `now` (ms); it takes a token only if `take`. */
  check(now: number, take: boolean): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    if (take) this.tokens -= 1;
    return true;
  }
}

interface Fault {
  command: CommandName;
  /** Calls of the command to let through first. */
  skip: number;
  /** `before`: the call fails and changes nothing; `after`: it takes effect, then fails. */
  when: 'before' | 'after';
  remaining: number;
  error: () => Error;
}

const metadata = { $metadata: {} };
const notFound = (what: string) =>
  new NotFoundException({ message: `Invalid ${what} identifier specified`, ...metadata });
const conflict = (message: string) => new ConflictException({ message, ...metadata });
const badRequest = (message: string) => new BadRequestException({ message, ...metadata });
export const serviceUnavailable = () =>
  Object.assign(new Error('Service unavailable'), {
    name: 'ServiceUnavailableException',
    $metadata: { httpStatusCode: 503 },
  });

function page<T>(items: T[], input: { limit?: number | undefined; position?: string | undefined }) {
  const start = input.position ? Number(input.position) : 0;
  const limit = input.limit ?? 25;
  const slice = items.slice(start, start + limit);
  return { items: slice, ...(start + limit < items.length ? { position: String(start + limit) } : {}) };
}

export class FakeApiGateway {
  readonly keys = new Map<string, FakeKey>();
  readonly plans = new Map<string, FakePlan>();
  readonly calls: { command: CommandName; input: any }[] = [];
  /** Runs before each command (after it is recorded); tests use it to line up races. */
  beforeCommand: ((command: CommandName, input: any) => Promise<void>) | undefined;
  now: () => Date = () => new Date();
  private readonly faults: Fault[] = [];
  private sequence = 0;
  /** Calls refused for a rate or a count quota, ours and others'. */
  overQuota = 0;
  /** Calls refused for a rate quota, by operation. */
  readonly throttled = new Map<CommandName, number>();
  private readonly quotas: boolean;
  private readonly buckets = new Map<string, Bucket>();
  private readonly values = new Set<string>();
  /**
   * What each command class runs: a plain lookup (a matcher library's deep comparison of
   * every call was a tenth of the fault suite's CPU).
   */
  private readonly handlers = new Map<unknown, (input: any) => Promise<unknown>>();
  /** The client's own `send`, if it had one (it inherits the SDK's): put back by `restore`. */
  private readonly ownSend = Object.getOwnPropertyDescriptor(APIGatewayClient.prototype, 'send');

  constructor(options: { quotas?: boolean; now?: () => Date } = {}) {
    this.quotas = options.quotas ?? false;
    if (options.now) this.now = options.now;
    const handlers = this.handlers;
    APIGatewayClient.prototype.send = function send(command: { constructor: unknown; input: unknown }) {
      const handler = handlers.get(command.constructor);
      if (!handler)
        return Promise.reject(
          new Error(`The fake API Gateway does not answer ${(command.constructor as { name?: string }).name}`),
        );
      return handler(command.input);
    } as unknown as typeof APIGatewayClient.prototype.send;
    const on = <I extends object>(command: unknown, name: CommandName, run: (input: I) => unknown) =>
      handlers.set(command, (input: I) => this.handle(name, input, () => run(input)));
    on(CreateApiKeyCommand, 'CreateApiKey', (input: CreateApiKeyRequest) => ({ ...this.createApiKey(input) }));
    on(GetApiKeyCommand, 'GetApiKey', (input: { apiKey: string; includeValue?: boolean }) => {
      const key = this.key(input.apiKey);
      return {
        id: key.id,
        name: key.name,
        enabled: key.enabled,
        createdDate: key.createdDate,
        ...(input.includeValue ? { value: key.value } : {}),
      };
    });
    on(
      GetApiKeysCommand,
      'GetApiKeys',
      (input: { nameQuery?: string; includeValues?: boolean; limit?: number; position?: string }) => {
        const matching = [...this.keys.values()].filter(
          (key) => input.nameQuery === undefined || key.name.startsWith(input.nameQuery),
        );
        return page(
          matching.map((key) => ({
            id: key.id,
            name: key.name,
            enabled: key.enabled,
            createdDate: key.createdDate,
            ...(input.includeValues ? { value: key.value } : {}),
          })),
          input,
        );
      },
    );
    on(UpdateApiKeyCommand, 'UpdateApiKey', (input: { apiKey: string; patchOperations?: PatchOperation[] }) => {
      const key = this.key(input.apiKey);
      for (const operation of input.patchOperations ?? []) {
        if (operation.op === 'replace' && operation.path === '/enabled') key.enabled = operation.value === 'true';
        else throw badRequest(`Unsupported patch ${operation.op} ${operation.path}`);
      }
      return { id: key.id, enabled: key.enabled };
    });
    on(DeleteApiKeyCommand, 'DeleteApiKey', (input: { apiKey: string }) => {
      this.values.delete(this.key(input.apiKey).value);
      this.keys.delete(input.apiKey);
      for (const plan of this.plans.values()) plan.keyIds.delete(input.apiKey);
      return {};
    });
    on(CreateUsagePlanCommand, 'CreateUsagePlan', (input: CreateUsagePlanRequest) => {
      if (this.quotas && this.plans.size >= QUOTAS.usagePlans) throw this.overCount('usage plans');
      const id = `plan${++this.sequence}`;
      this.plans.set(id, {
        id,
        name: input.name!,
        rateLimit: input.throttle?.rateLimit,
        burstLimit: input.throttle?.burstLimit,
        stages: (input.apiStages ?? []).map((stage) => `${stage.apiId}:${stage.stage}`),
        keyIds: new Set(),
      });
      return this.planView(this.plans.get(id)!);
    });
    on(
      UpdateUsagePlanCommand,
      'UpdateUsagePlan',
      (input: { usagePlanId: string; patchOperations?: PatchOperation[] }) => {
        const plan = this.plan(input.usagePlanId);
        for (const operation of input.patchOperations ?? []) {
          if (operation.path === '/apiStages' && operation.op === 'remove') {
            if (!plan.stages.includes(operation.value!)) throw badRequest('The stage is not part of this usage plan');
            plan.stages = plan.stages.filter((stage) => stage !== operation.value);
          } else if (operation.path === '/apiStages' && operation.op === 'add') {
            plan.stages.push(operation.value!);
          } else if (operation.path === '/throttle/rateLimit' && operation.op === 'replace') {
            plan.rateLimit = Number(operation.value);
          } else if (operation.path === '/throttle/burstLimit' && operation.op === 'replace') {
            plan.burstLimit = Number(operation.value);
          } else {
            throw badRequest(`Unsupported patch ${operation.op} ${operation.path}`);
          }
        }
        return this.planView(plan);
      },
    );
    on(DeleteUsagePlanCommand, 'DeleteUsagePlan', (input: { usagePlanId: string }) => {
      const plan = this.plan(input.usagePlanId);
      if (plan.stages.length > 0) throw badRequest('Cannot delete a usage plan associated with API stages');
      this.plans.delete(plan.id);
      return {};
    });
    on(GetUsagePlansCommand, 'GetUsagePlans', (input: { limit?: number; position?: string }) =>
      page(
        [...this.plans.values()].map((plan) => this.planView(plan)),
        input,
      ),
    );
    on(CreateUsagePlanKeyCommand, 'CreateUsagePlanKey', (input: CreateUsagePlanKeyRequest) => {
      const plan = this.plan(input.usagePlanId!);
      const key = this.key(input.keyId!);
      if (plan.keyIds.has(key.id)) throw conflict('Usage Plan already contains the key');
      for (const other of this.plans.values()) {
        if (other.keyIds.has(key.id) && other.stages.some((stage) => plan.stages.includes(stage))) {
          throw conflict('The key is already in a usage plan of this stage');
        }
      }
      if (this.quotas && this.plansOf(key.id).length >= QUOTAS.plansPerKey) throw this.overCount('usage plans per key');
      plan.keyIds.add(key.id);
      key.joinedAt = this.now();
      return { id: key.id, type: 'API_KEY', name: key.name };
    });
    on(DeleteUsagePlanKeyCommand, 'DeleteUsagePlanKey', (input: { usagePlanId: string; keyId: string }) => {
      const plan = this.plan(input.usagePlanId);
      if (!plan.keyIds.delete(input.keyId)) throw notFound('usage plan key');
      return {};
    });
    on(GetUsagePlanKeyCommand, 'GetUsagePlanKey', (input: { usagePlanId: string; keyId: string }) => {
      const plan = this.plan(input.usagePlanId);
      if (!plan.keyIds.has(input.keyId)) throw notFound('usage plan key');
      return { id: input.keyId, type: 'API_KEY' };
    });
    on(
      GetUsagePlanKeysCommand,
      'GetUsagePlanKeys',
      (input: { usagePlanId: string; limit?: number; position?: string }) =>
        page(
          [...this.plan(input.usagePlanId).keyIds].map((id) => ({
            id,
            type: 'API_KEY',
            name: this.keys.get(id)?.name,
          })),
          input,
        ),
    );
  }

  /** Makes the next `times` calls of `command` fail, after letting `skip` of them through. */
  fail(
    command: CommandName,
    options: { when?: 'before' | 'after'; times?: number; skip?: number; error?: () => Error } = {},
  ): void {
    this.faults.push({
      command,
      skip: options.skip ?? 0,
      when: options.when ?? 'before',
      remaining: options.times ?? 1,
      error: options.error ?? serviceUnavailable,
    });
  }

  /** The keys of tokens: every key but the plans' bridge keys. */
  tokenKeys(): FakeKey[] {
    return [...this.keys.values()].filter((key) => !key.name.includes('-bridge-'));
  }

  /** The bridge keys of plans. */
  bridgeKeys(): FakeKey[] {
    return [...this.keys.values()].filter((key) => key.name.includes('-bridge-'));
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  commands(): CommandName[] {
    return this.calls.map((call) => call.command);
  }

  callsOf(command: CommandName): any[] {
    return this.calls.filter((call) => call.command === command).map((call) => call.input);
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  /** Which of our plans a key is in. */
  plansOf(keyId: string): string[] {
    return [...this.plans.values()].filter((plan) => plan.keyIds.has(keyId)).map((plan) => plan.id);
  }

  /**
   * The data plane, as far as keys go: whether API Gateway lets a call presenting `value`
   * through on `stage` at `at` rather than refusing it (403). A key is honoured once it is
   * enabled, in a plan of the stage, and `propagationMs` has passed since it joined.
   */
  honours(value: string, stage: string, at: Date, propagationMs: number): boolean {
    const key = [...this.keys.values()].find((candidate) => candidate.value === value);
    if (!key?.enabled || key.joinedAt === undefined) return false;
    if (!this.plansOf(key.id).some((planId) => this.plans.get(planId)!.stages.includes(stage))) return false;
    return at.getTime() - key.joinedAt.getTime() >= propagationMs;
  }

  /** Adds a plan holding `keyIds`, as the stack deploys its unthrottled plan, joined long ago. */
  addPlan(name: string, stage: string, keyIds: string[]): FakePlan {
    const id = `plan${++this.sequence}`;
    const plan = { id, name, rateLimit: undefined, burstLimit: undefined, stages: [stage], keyIds: new Set(keyIds) };
    this.plans.set(id, plan);
    for (const keyId of keyIds) this.key(keyId).joinedAt = new Date(0);
    return plan;
  }

  /** Adds a key as if made by hand or by another deployment. */
  addKey(name: string, options: { enabled?: boolean; createdDate?: Date } = {}): FakeKey {
    const key = this.createApiKey({
      name,
      value: `handmade${++this.sequence}`.padEnd(24, 'x'),
      enabled: options.enabled ?? true,
    });
    if (options.createdDate) key.createdDate = options.createdDate;
    return key;
  }

  restore(): void {
    if (this.ownSend) Object.defineProperty(APIGatewayClient.prototype, 'send', this.ownSend);
    else delete (APIGatewayClient.prototype as { send?: unknown }).send;
  }

  /** A call made by someone else in the account (another stack's deploy, a console): it takes from the quotas. */
  spend(command: CommandName): boolean {
    return this.withinRate(command);
  }

  /** Whether a call of `command` may pass now, taking from the total and the operation's buckets if so. */
  private withinRate(command: CommandName): boolean {
    if (!this.quotas) return true;
    const now = this.now().getTime();
    const bucket = (name: string, quota: { rate: number; burst: number }) => {
      let found = this.buckets.get(name);
      if (!found) this.buckets.set(name, (found = new Bucket(quota.rate, quota.burst, now)));
      return found;
    };
    const total = bucket('total', QUOTAS.total);
    const own = QUOTAS.operations[command];
    const operation = own ? bucket(command, own) : undefined;
    if (!total.check(now, false) || (operation && !operation.check(now, false))) {
      this.overQuota += 1;
      this.throttled.set(command, (this.throttled.get(command) ?? 0) + 1);
      return false;
    }
    total.check(now, true);
    operation?.check(now, true);
    return true;
  }

  private overCount(what: string): Error {
    this.overQuota += 1;
    return new LimitExceededException({
      message: `Limit of ${what} exceeded for this account`,
      $metadata: { httpStatusCode: 429 },
    });
  }

  private async handle(command: CommandName, input: any, run: () => unknown): Promise<unknown> {
    this.calls.push({ command, input: structuredClone(input) });
    if (this.beforeCommand) await this.beforeCommand(command, input);
    if (!this.withinRate(command)) {
      throw new TooManyRequestsException({
        message: 'Too Many Requests',
        retryAfterSeconds: '1',
        $metadata: { httpStatusCode: 429 },
      });
    }
    let fault = this.faults.find((candidate) => candidate.command === command && candidate.remaining > 0);
    if (fault && fault.skip > 0) {
      fault.skip -= 1;
      fault = undefined;
    }
    if (fault) fault.remaining -= 1;
    if (fault?.when === 'before') throw fault.error();
    const result = run();
    if (fault?.when === 'after') throw fault.error();
    return result;
  }

  private createApiKey(input: CreateApiKeyRequest): FakeKey {
    if (this.quotas && this.keys.size >= QUOTAS.apiKeys) throw this.overCount('API keys');
    // Without a value, API Gateway makes one: 40 random alphanumerics.
    const value =
      input.value ??
      randomBytes(30)
        .toString('base64')
        .replace(/[^A-Za-z0-9]/g, '')
        .padEnd(40, '0')
        .slice(0, 40);
    if (!/^[A-Za-z0-9]{20,128}$/.test(value)) throw badRequest('API key value must be 20 to 128 alphanumerics');
    if (this.values.has(value)) throw conflict('API Key already exists');
    this.values.add(value);
    const id = `key${++this.sequence}`;
    const key = {
      id,
      name: input.name ?? id,
      value,
      enabled: input.enabled ?? false,
      createdDate: this.now(),
    };
    this.keys.set(id, key);
    return key;
  }

  private key(id: string): FakeKey {
    const key = this.keys.get(id);
    if (!key) throw notFound('API Key');
    return key;
  }

  private plan(id: string): FakePlan {
    const plan = this.plans.get(id);
    if (!plan) throw notFound('Usage Plan ID');
    return plan;
  }

  private planView(plan: FakePlan) {
    return {
      id: plan.id,
      name: plan.name,
      throttle: { rateLimit: plan.rateLimit, burstLimit: plan.burstLimit },
      apiStages: plan.stages.map((stage) => ({ apiId: stage.split(':')[0], stage: stage.split(':')[1] })),
    };
  }
}
