import {
  type APIGatewayClient,
  CreateUsagePlanCommand,
  DeleteUsagePlanCommand,
  GetUsagePlansCommand,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CompensationFailureReport } from '../ports.js';
import { keys, ratePlanPartition } from '../store/keys.js';
import { type ApiStage, attemptSuffix, type GatewayNames } from './gateway-names.js';

export interface RatePlanRecord {
  rps: number;
  planId: string;
}

/** The record of the usage plan for one rate (`keys.ratePlan`): `planId`, `rps`. */
function ratePlanFromItem(item: Record<string, unknown>): RatePlanRecord | undefined {
  const rps = Number(item.rps);
  if (!Number.isInteger(rps) || rps < 1 || typeof item.planId !== 'string') return undefined;
  return { rps, planId: item.planId };
}

export function isNotFound(error: unknown): boolean {
  return (error as { name?: string })?.name === 'NotFoundException';
}

export interface RatePlanRegistryOptions {
  gateway: APIGatewayClient;
  documents: DynamoDBDocumentClient;
  tableName: string;
  stage: ApiStage;
  names: GatewayNames;
  onCompensationFailure?: CompensationFailureReport;
}

/**
 * One usage plan per distinct `maxRps` (rate N, burst N), created on first need.
 *
 * Plans are shared because an account has only 300 of them (adjustable) but 10,000 keys.
 * Two requests may need a new rate at once, in different Lambdas: each creates a plan,
 * and the table decides which one counts (a write conditional on the record's absence).
 * The loser deletes its own plan and uses the winner's, so the race ends with one plan.
 */
export class RatePlanRegistry {
  /** Plan ids never change once recorded (bar reconcile replacing a deleted one), so each container asks once. */
  private readonly known = new Map<number, Promise<string>>();

  constructor(private readonly options: RatePlanRegistryOptions) {}

  /** The id of the plan for `rps`, created and recorded if there is none yet. */
  planFor(rps: number): Promise<string> {
    let plan = this.known.get(rps);
    if (!plan) {
      const pending = this.recordedOrNew(rps);
      plan = pending;
      this.known.set(rps, pending);
      pending.catch(() => {
        if (this.known.get(rps) === pending) this.known.delete(rps);
      });
    }
    return plan;
  }

  /** Drops a cached plan id that API Gateway no longer knows (reconcile replaced the plan). */
  forget(rps: number): void {
    this.known.delete(rps);
  }

  /** Every recorded plan, in one query: the records share a partition. */
  async allRecorded(): Promise<RatePlanRecord[]> {
    const records: RatePlanRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.options.documents.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': ratePlanPartition },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const record = ratePlanFromItem(item);
        if (record) records.push(record);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async recorded(rps: number): Promise<string | undefined> {
    const { Item } = await this.options.documents.send(
      new GetCommand({ TableName: this.options.tableName, Key: keys.ratePlan(rps), ConsistentRead: true }),
    );
    return Item && typeof Item.planId === 'string' ? Item.planId : undefined;
  }

  /**
   * Replaces a recorded plan that no longer exists in API Gateway (deleted out of band).
   * Conditional on the record still naming the missing plan, so two reconciles agree.
   */
  async replace(rps: number, missingPlanId: string): Promise<string> {
    const planId = await this.createPlan(rps);
    let current: string;
    try {
      await this.record(rps, planId, missingPlanId);
      current = planId;
    } catch (error) {
      current = await this.settleLostWrite(rps, planId, error, missingPlanId);
    }
    this.known.set(rps, Promise.resolve(current));
    return current;
  }

  /** Removes a plan of ours: API Gateway refuses to delete a plan still attached to a stage. */
  async discard(planId: string): Promise<void> {
    const { restApiId, stage } = this.options.stage;
    try {
      await this.options.gateway.send(
        new UpdateUsagePlanCommand({
          usagePlanId: planId,
          patchOperations: [{ op: 'remove', path: '/apiStages', value: `${restApiId}:${stage}` }],
        }),
      );
    } catch (error) {
      if (isNotFound(error)) return;
      // A plan that never got its stage (or lost it already) can be deleted as it is.
      if ((error as { name?: string })?.name !== 'BadRequestException') throw error;
    }
    try {
      await this.options.gateway.send(new DeleteUsagePlanCommand({ usagePlanId: planId }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  private async recordedOrNew(rps: number): Promise<string> {
    const existing = await this.recorded(rps);
    if (existing !== undefined) return existing;
    const planId = await this.createPlan(rps);
    try {
      await this.record(rps, planId);
      return planId;
    } catch (error) {
      return this.settleLostWrite(rps, planId, error);
    }
  }

  /**
   * Records `planId` as the plan for `rps`, only if no plan is recorded yet or, when
   * replacing, only if the record still names the plan being replaced.
   */
  private async record(rps: number, planId: string, replacing?: string): Promise<void> {
    await this.options.documents.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: keys.ratePlan(rps),
        UpdateExpression: 'SET planId = :planId, rps = :rps, createdAt = :now',
        ConditionExpression: replacing === undefined ? 'attribute_not_exists(pk)' : 'planId = :replacing',
        ExpressionAttributeValues: {
          ':planId': planId,
          ':rps': rps,
          ':now': new Date().toISOString(),
          ...(replacing === undefined ? {} : { ':replacing': replacing }),
        },
      }),
    );
  }

  /**
   * After a failed record write: if the write went through after all (only its answer was
   * lost), the plan is ours; otherwise another writer won, or nothing was recorded, and the
   * plan just created must go.
   */
  private async settleLostWrite(rps: number, planId: string, error: unknown, stale?: string): Promise<string> {
    const recorded = await this.recorded(rps).catch(() => undefined);
    if (recorded === planId) return planId;
    try {
      await this.discard(planId);
    } catch (discardError) {
      this.options.onCompensationFailure?.(discardError, `delete usage plan ${planId} (rate ${rps}) that lost the race`);
    }
    if (recorded !== undefined && recorded !== stale) return recorded;
    throw error;
  }

  private async createPlan(rps: number): Promise<string> {
    const { restApiId, stage } = this.options.stage;
    const name = this.options.names.plan(rps, attemptSuffix());
    try {
      const plan = await this.options.gateway.send(
        new CreateUsagePlanCommand({
          name,
          description: `maxRps ${rps}: rate ${rps}/s, burst ${rps}, shared by every token with this limit`,
          apiStages: [{ apiId: restApiId, stage }],
          throttle: { rateLimit: rps, burstLimit: rps },
        }),
      );
      if (!plan.id) throw new Error('API Gateway created a usage plan without an id');
      return plan.id;
    } catch (error) {
      // The plan may exist though the call failed (its answer lost): its name is this
      // attempt's alone, so whatever carries it can go.
      try {
        await this.discardPlansNamed(name);
      } catch (discardError) {
        this.options.onCompensationFailure?.(discardError, `delete usage plans named ${name} after a failed create`);
      }
      throw error;
    }
  }

  private async discardPlansNamed(name: string): Promise<void> {
    let position: string | undefined;
    const found: string[] = [];
    do {
      const page = await this.options.gateway.send(new GetUsagePlansCommand({ limit: 500, position }));
      for (const plan of page.items ?? []) if (plan.id && plan.name === name) found.push(plan.id);
      position = page.position;
    } while (position);
    for (const planId of found) await this.discard(planId);
  }
}
