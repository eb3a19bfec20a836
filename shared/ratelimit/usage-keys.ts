import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RateHolder, UsageKeys } from '../auth/ports.js';
import { enforcedRate, TOKEN_MAX_RPS } from '../kernel/rate-tiers.js';
import { type ItemKey, keys } from '../dynamodb/keys.js';

/**
 * A limited token's own key, when it is the one to present now: in a plan whose rate is
 * between the tier its `maxRps` is held to and `maxRps` itself (never faster than asked,
 * never slower than the tier), and honoured there by now. Undefined otherwise: a new
 * key, one being moved after a change of limit, or none yet. Nor a key faster than any
 * tier (`TOKEN_MAX_RPS`): an earlier version's, whose plan is gone.
 */
export function ownKey({ maxRps, key }: RateHolder, at: Date): string | undefined {
  const { usageKey, keyRps, keyReadyAt } = key;
  if (maxRps === null || usageKey === undefined || keyRps === undefined || keyReadyAt === undefined) return undefined;
  if (keyRps < enforcedRate(maxRps) || keyRps > Math.min(maxRps, TOKEN_MAX_RPS)) return undefined;
  return Date.parse(keyReadyAt) <= at.getTime() ? usageKey : undefined;
}

/** The keys CloudFormation made, by value: the unthrottled key, and each tier's pooled key. */
export interface SharedKeys {
  unthrottled: string;
  pooled: Record<string, string>;
}

/** How long a container keeps the shared keys before reading them again (a deployment may replace them). */
const REREAD_MS = 300_000;

/**
 * The keys calls present in AWS: a limited token's own key once it is ready (`ownKey`),
 * else its tier's pooled key (every not-yet-keyed token of the tier shares its throttle),
 * and the unthrottled key for JWT callers and tokens without a limit. The deploy-time
 * custom resource (`publish-keys.ts`) writes the shared keys' values to the table, read
 * from there once per container every few minutes: the authorizer never calls API
 * Gateway's control plane. A limited token whose tier has no published key is refused.
 */
export class PublishedUsageKeys implements UsageKeys {
  private read: { at: number; keys: Promise<SharedKeys> } | undefined;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async keyFor(holder: RateHolder, at: Date): Promise<string> {
    const own = ownKey(holder, at);
    if (own !== undefined) return own;
    const shared = await this.shared();
    if (holder.maxRps === null) return shared.unthrottled;
    const tier = enforcedRate(holder.maxRps);
    const pooled = shared.pooled[String(tier)];
    if (pooled === undefined) throw new Error(`The pooled key of tier ${tier} is not in the table: deploy the stack`);
    return pooled;
  }

  private shared(): Promise<SharedKeys> {
    const now = this.now();
    if (this.read && now - this.read.at < REREAD_MS) return this.read.keys;
    const read = {
      at: now,
      keys: this.item(keys.sharedUsageKey()).then((item) => {
        if (typeof item?.value !== 'string' || item.value === '')
          throw new Error('The shared keys are not in the table: deploy the stack (its custom resource writes them)');
        return { unthrottled: item.value, pooled: (item.pooled ?? {}) as Record<string, string> };
      }),
    };
    this.read = read;
    // A failed read is tried again by the next call, not remembered.
    read.keys.catch(() => {
      if (this.read === read) this.read = undefined;
    });
    return read.keys;
  }

  /**
   * The tiers' usage plans (rate → plan id): `configured` (TIER_PLANS, a script's) when set,
   * else as the deploy-time custom resource wrote them (the plans are made after the stage,
   * and the stage after every function, so no function can name them). None is a failure.
   */
  async tierPlans(configured = new Map<number, string>()): Promise<Map<number, string>> {
    if (configured.size > 0) return configured;
    const item = await this.item(keys.tierPlans());
    const plans = new Map(Object.entries(item?.plans ?? {}).map(([rps, id]) => [Number(rps), String(id)]));
    if (plans.size === 0) throw new Error('The tier plans are not in the table: deploy the stack');
    return plans;
  }

  /** Writes the shared keys' values, or the tiers' plan ids (the deploy-time custom resources). */
  async publish(values: SharedKeys): Promise<void> {
    await this.put({ ...keys.sharedUsageKey(), value: values.unthrottled, pooled: values.pooled });
  }
  async publishTierPlans(plans: Record<string, string>): Promise<void> {
    await this.put({ ...keys.tierPlans(), plans });
  }

  private async item(key: ItemKey) {
    return (await this.documents.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })))
      .Item;
  }
  private async put(item: Record<string, unknown>) {
    const Item = { ...item, updatedAt: new Date().toISOString() };
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item }));
  }
}
