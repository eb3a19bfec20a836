import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { BridgeKey, RatePlanRecord, RatePlanRecords, RecordedPlan } from './plan-records.js';
import { absent, all, either, equals, expression, lessThan, updateExpression } from '../dynamodb/expressions.js';
import { keys, ratePlanPartition } from '../dynamodb/keys.js';

const CREATING = 'CREATING' as const;
const READY = 'READY' as const;

function recordedPlan(item: Record<string, unknown>): RecordedPlan {
  const bridge = item.bridge as Partial<BridgeKey> | undefined;
  const valid =
    typeof bridge?.keyId === 'string' && typeof bridge.usageKey === 'string' && typeof bridge.readyAt === 'string';
  return { planId: item.planId as string, ...(valid ? { bridge: bridge as BridgeKey } : {}) };
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** Runs a conditional write; false when its condition did not hold. */
async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Rate plan records on the service's table, in one partition (`keys.ratePlan`): a claim
 * (`state: CREATING`, an owner and a time) while one request creates the plan for a rate,
 * then the plan's id (`state: READY`). Every write is conditional, so two requests never
 * both create a plan for one rate.
 */
export class DynamoRatePlanRecords implements RatePlanRecords {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async planOf(rps: number): Promise<RecordedPlan | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.ratePlan(rps), ConsistentRead: true }),
    );
    return Item?.state === READY && typeof Item.planId === 'string' ? recordedPlan(Item) : undefined;
  }

  async all(): Promise<RatePlanRecord[]> {
    const records: RatePlanRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': ratePlanPartition },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const rps = Number(item.rps);
        if (!Number.isInteger(rps)) continue;
        if (item.state === READY && typeof item.planId === 'string') {
          records.push({
            rps,
            state: READY,
            ...recordedPlan(item),
            ...(typeof item.emptySince === 'string' ? { emptySince: item.emptySince } : {}),
          });
        } else if (item.state === CREATING && typeof item.claimedAt === 'string') {
          records.push({ rps, state: CREATING, claimedAt: item.claimedAt });
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async claim(rps: number, owner: string, at: Date, staleBefore: Date): Promise<boolean> {
    return this.orReadBack(
      rps,
      (item) => item?.state === CREATING && item.owner === owner,
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.ratePlan(rps),
            ...updateExpression({
              set: { rps, state: CREATING, owner, claimedAt: at.toISOString() },
              condition: either(
                absent('pk'),
                all(equals('state', CREATING), lessThan('claimedAt', staleBefore.toISOString())),
              ),
            }),
          }),
        ),
    );
  }

  async complete(rps: number, owner: string, plan: RecordedPlan, at: Date): Promise<boolean> {
    return this.orReadBack(
      rps,
      (item) => item?.state === READY && item.planId === plan.planId,
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.ratePlan(rps),
            ...updateExpression({
              set: { state: READY, planId: plan.planId, bridge: plan.bridge, createdAt: at.toISOString() },
              remove: ['owner', 'claimedAt'],
              condition: all(equals('state', CREATING), equals('owner', owner)),
            }),
          }),
        ),
    );
  }

  /**
   * A conditional write whose answer may be lost (DynamoDB committed, the client saw an
   * error): read back, and count it done if the item shows it. Otherwise the error stands.
   */
  private async orReadBack(
    rps: number,
    took: (item: Record<string, unknown> | undefined) => boolean,
    write: () => Promise<unknown>,
  ): Promise<boolean> {
    try {
      return await conditional(write);
    } catch (error) {
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: keys.ratePlan(rps), ConsistentRead: true }),
      );
      if (took(Item)) return true;
      throw error;
    }
  }

  async release(rps: number, owner: string): Promise<void> {
    await conditional(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.ratePlan(rps),
          ...expression({ condition: all(equals('state', CREATING), equals('owner', owner)) }),
        }),
      ),
    );
  }

  replace(rps: number, missingPlanId: string, plan: RecordedPlan): Promise<boolean> {
    return conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.ratePlan(rps),
          ...updateExpression({
            set: { planId: plan.planId, bridge: plan.bridge, createdAt: new Date().toISOString() },
            remove: ['emptySince', ...(plan.bridge ? [] : ['bridge'])],
            condition: equals('planId', missingPlanId),
          }),
        }),
      ),
    );
  }

  setBridge(rps: number, planId: string, bridge: BridgeKey): Promise<boolean> {
    return conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.ratePlan(rps),
          ...updateExpression({ set: { bridge }, condition: equals('planId', planId) }),
        }),
      ),
    );
  }

  async markEmpty(rps: number, planId: string, since: Date | null): Promise<void> {
    await conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.ratePlan(rps),
          ...updateExpression(
            since === null
              ? { remove: ['emptySince'], condition: equals('planId', planId) }
              : { setIfAbsent: { emptySince: since.toISOString() }, condition: equals('planId', planId) },
          ),
        }),
      ),
    );
  }

  remove(rps: number, planId: string, emptySince: string): Promise<boolean> {
    return conditional(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.ratePlan(rps),
          ...expression({ condition: all(equals('planId', planId), equals('emptySince', emptySince)) }),
        }),
      ),
    );
  }
}
