import { isExpired } from '../kernel/model.js';
import type { Clock } from '../kernel/ports.js';
import type { StoredToken, TokenStore } from '../tokens/ports.js';
import type { ApiGatewayRateLimits } from './aws-rate-limits.js';
import type { Drift } from './drift.js';
import { checkBridgeKeys, checkRecordedPlans, reconcileParts, removeUnneededPlans } from './reconcile-plans.js';

/**
 * Finds and repairs drift between the tokens in the table and the keys and usage plans
 * in API Gateway. Drift comes from what the request path cannot undo: a compensation
 * that failed, DynamoDB TTL removing expired tokens (their keys stay), a key or plan
 * changed by hand. The table is the truth; API Gateway is made to match it.
 */

export interface ReconcileReport {
  applied: boolean;
  tokens: number;
  keys: number;
  plans: number;
  drift: Drift[];
}

export interface ReconcileDeps {
  tokens: TokenStore;
  /** Federation policies: each with a limit owns one key, which the tokens it issues share. */
  policies?: { all(): AsyncIterable<{ apiKeyId?: string }> };
  rateLimits: ApiGatewayRateLimits;
  clock: Clock;
  /**
   * Keys younger than this are never orphans: a create may be between binding its key and
   * storing its token. @default 900
   */
  orphanGraceSeconds?: number;
  /** A plan with no keys for this long is deleted. @default 86400 */
  emptyPlanGraceSeconds?: number;
  /** Claims younger than this are live (as `RatePlanRegistry` treats them). @default 30 */
  claimTimeoutSeconds?: number;
}

/** Reports drift and, with `apply`, repairs it. Safe to run again: a second run finds nothing left to do. */
export async function reconcileRateLimits(deps: ReconcileDeps, options: { apply: boolean }): Promise<ReconcileReport> {
  const now = deps.clock();
  const graceMs = (deps.orphanGraceSeconds ?? 900) * 1000;
  const { keys: gateway } = deps.rateLimits;
  const parts = reconcileParts(deps.rateLimits);
  const { registry, inventory } = parts;
  const drift: Drift[] = [];
  async function found(entry: Drift, repair: () => Promise<void>): Promise<void> {
    drift.push(entry);
    if (!options.apply) return;
    try {
      await repair();
      entry.repaired = true;
    } catch (error) {
      entry.repaired = false;
      entry.error = (error as { name?: string })?.name ?? 'Error';
    }
  }

  // Keys and plans are listed before the table is read: a key created later is not judged
  // at all, and a token stored or a plan recorded after the listing is still seen below.
  const ownKeys = await inventory.listKeys();
  const ownPlans = await inventory.listPlans();
  const plansOfKey = new Map<string, string[]>();
  for (const plan of ownPlans) {
    for (const keyId of await inventory.planKeyIds(plan.id))
      plansOfKey.set(keyId, [...(plansOfKey.get(keyId) ?? []), plan.id]);
  }
  const tokens: StoredToken[] = [];
  for await (const token of deps.tokens.all()) tokens.push(token);
  const records = await registry.records.all();
  const state = { keys: ownKeys, plans: ownPlans, plansOfKey, records };
  const planOfRate = await checkRecordedPlans(parts, state, found);
  // Bridge keys belong to their plans' records, not to tokens: never orphans.
  const boundKeyIds = await checkBridgeKeys(parts, state, found);
  // A policy's key belongs to the policy, whether or not a token of it is live.
  if (deps.policies)
    for await (const policy of deps.policies.all()) if (policy.apiKeyId !== undefined) boundKeyIds.add(policy.apiKeyId);

  const keysById = new Map(ownKeys.map((key) => [key.id, key]));
  for (const token of tokens) {
    const subject = `token ${token.lookupId} (${token.serviceAccountId}/${token.name})`;
    if (token.pendingSince !== undefined) {
      // Its create may still be running; once it cannot be, nobody holds its secret.
      if (now.getTime() - Date.parse(token.pendingSince) >= graceMs) {
        await found(
          {
            kind: 'abandoned-create',
            subject,
            detail: `pending since ${token.pendingSince}: its create never finished`,
          },
          () => deps.tokens.delete(token),
        );
      }
      continue;
    }
    const enabled = token.status === 'ACTIVE' && !isExpired(token.expiresAt, now);
    if (token.apiKeyId !== undefined) boundKeyIds.add(token.apiKeyId);
    // A federated token presents its policy's key: its state is the policy's, not the token's.
    if (token.federation) continue;
    const key = token.apiKeyId === undefined ? undefined : keysById.get(token.apiKeyId);
    const maxRps = token.maxRps;
    if (maxRps === null) {
      if (token.apiKeyId !== undefined) {
        await found(
          { kind: 'unneeded-key', subject, detail: `has no limit but is bound to key ${token.apiKeyId}` },
          async () => {
            await deps.tokens.update(token, { binding: null, onlyIfUnchanged: true }, token.updatedAt);
            if (key) await inventory.deleteKey(key.id);
          },
        );
      }
      continue;
    }
    if (!key) {
      await found(
        {
          kind: 'missing-key',
          subject,
          detail:
            token.apiKeyId === undefined
              ? `has maxRps ${maxRps} but no key`
              : `its key ${token.apiKeyId} does not exist`,
        },
        async () => {
          const binding = await gateway.bind({ lookupId: token.lookupId, maxRps, enabled });
          try {
            // The token's own updatedAt: a repair is not a change its owner made.
            await deps.tokens.update(token, { binding, onlyIfUnchanged: true }, token.updatedAt);
          } catch (error) {
            await gateway.unbind(binding).catch(() => undefined);
            throw error;
          }
        },
      );
      continue;
    }
    const wanted = planOfRate.get(maxRps);
    const current = plansOfKey.get(key.id) ?? [];
    if (wanted === undefined || current.length !== 1 || current[0] !== wanted) {
      await found(
        {
          kind: 'wrong-plan',
          subject,
          detail: `key ${key.id} is in [${current.join(', ')}], not in the plan for rate ${maxRps} alone`,
        },
        async () => {
          const target = wanted ?? (await registry.planFor(maxRps)).planId;
          // Out of the wrong plan first: API Gateway allows a key in one plan per stage.
          for (const planId of current) if (planId !== target) await inventory.removeFromPlan(planId, key.id);
          await inventory.addToPlan(target, key.id);
        },
      );
    }
    if (key.enabled !== enabled) {
      await found(
        {
          kind: 'wrong-enabled',
          subject,
          detail:
            `key ${key.id} is ${key.enabled ? 'enabled' : 'disabled'}; the token is ` +
            `${enabled ? 'active' : 'suspended or expired'}`,
        },
        () => inventory.setKeyEnabled(key.id, enabled),
      );
    }
  }

  for (const key of ownKeys) {
    if (boundKeyIds.has(key.id)) continue;
    if (key.createdDate && now.getTime() - key.createdDate.getTime() < graceMs) continue;
    await found({ kind: 'orphan-key', subject: `key ${key.id}`, detail: `${key.name} is bound to no token` }, () =>
      inventory.deleteKey(key.id),
    );
  }

  await removeUnneededPlans(parts, state, planOfRate, found, {
    now,
    apply: options.apply,
    claimTimeoutMs: (deps.claimTimeoutSeconds ?? 30) * 1000,
    emptyPlanGraceMs: (deps.emptyPlanGraceSeconds ?? 86_400) * 1000,
  });

  return { applied: options.apply, tokens: tokens.length, keys: ownKeys.length, plans: ownPlans.length, drift };
}
