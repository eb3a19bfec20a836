import type { TokenBinding } from '../kernel/model.js';
import type { Clock } from '../kernel/ports.js';
import type { KeyOwner } from '../tokens/ports.js';

/** The table's side: owners' limits and keys. */
export interface KeyOwners {
  /** The owner as stored now (strongly consistent); undefined when it is gone (or is a federated token). */
  read(owner: KeyOwner): Promise<{ maxRps: number | null; key: Partial<TokenBinding> } | undefined>;
  /**
   * Sets the owner's key fields (`null`: removes them all; `unlimited`: also takes it out of
   * the rate keys index, while it still has no limit), only while its key is still
   * `expected` (undefined: none). False when the owner went or changed meanwhile.
   */
  write(
    owner: KeyOwner,
    expected: string | undefined,
    key: Partial<TokenBinding> | null,
    unlimited?: boolean,
  ): Promise<boolean>;
}

/** Keys and their plans: API Gateway's in AWS, none under `npm start`. Every call is idempotent. */
export interface KeyGateway {
  /** The plan a key of `maxRps` belongs in, and the rate that plan holds keys to. */
  planFor(maxRps: number): { planId: string; rps: number };
  createKey(ownerId: string): Promise<{ id: string; value: string }>;
  /** Already in the plan is done; in another plan of the stage, or gone, is UnusableKeyError. */
  addToPlan(planId: string, keyId: string): Promise<void>;
  removeFromPlan(planId: string, keyId: string): Promise<void>;
  deleteKey(keyId: string): Promise<void>;
  /** How long a key that joined a plan takes before it is presented. */
  readonly warmupMs: number;
}

/** A key in a plan of the stage the worker did not put it in, or gone (changed by hand): it is replaced. */
export class UnusableKeyError extends Error {
  override name = 'UnusableKeyError';
}

/**
 * What the worker is asked: to bring an owner's key in step, and/or to delete a key no
 * owner holds any more. `recheck`: API Gateway may not be as the table says (reconcile saw
 * the key gone or out of its plan), so the worker asks it rather than trust the table.
 */
export interface KeyWork {
  owner?: KeyOwner;
  deletedKeyId?: string;
  recheck?: boolean;
}

export interface KeyWorkerParts {
  owners: KeyOwners;
  gateway: KeyGateway;
  clock: Clock;
}

const ownerId = (owner: KeyOwner) => (owner.kind === 'token' ? owner.lookupId : owner.policyId);

/**
 * Brings one owner's key in step with the owner as stored now, whatever the message said
 * (so a message delivered twice, or late, does no harm): a key in its tier's plan for an
 * owner with a limit, none for one without. Each step is written to the table before the
 * next is taken, conditional on the key read, so a run that stops anywhere is resumed by
 * the next; a key made for an owner that went meanwhile is deleted at once. While a key is
 * moved between plans its owner presents its tier's pooled key (the binding says no plan).
 */
export async function syncKey(parts: KeyWorkerParts, work: KeyWork, replacing = false): Promise<void> {
  const { owners, gateway } = parts;
  const { owner, deletedKeyId } = work;
  const state = owner ? await owners.read(owner) : undefined;
  // A deleted owner's last key, or one reconcile found no owner of. Keys never change owners.
  if (deletedKeyId !== undefined && state?.key.apiKeyId !== deletedKeyId) await gateway.deleteKey(deletedKeyId);
  if (!owner || !state) return;
  const { key } = state;
  if (state.maxRps === null) {
    await retire(parts, owner, key, true);
    return;
  }
  const plan = gateway.planFor(state.maxRps);
  const inStep = key.keyPlanId === plan.planId && key.keyRps === plan.rps && key.keyReadyAt !== undefined;
  if (inStep && !work.recheck) return;
  let { apiKeyId, usageKey, keyPlanId } = key;
  if (apiKeyId === undefined || usageKey === undefined) {
    const created = await gateway.createKey(ownerId(owner));
    const recorded = await owners
      .write(owner, apiKeyId, { apiKeyId: created.id, usageKey: created.value })
      .catch(async (error: unknown) => {
        // Not left behind unnamed; were it recorded all the same, the next run finds it gone and replaces it.
        await gateway.deleteKey(created.id).catch(() => undefined);
        throw error;
      });
    if (!recorded) {
      await gateway.deleteKey(created.id);
      return;
    }
    ({ id: apiKeyId, value: usageKey } = created);
    keyPlanId = undefined;
  }
  if (keyPlanId !== undefined && keyPlanId !== plan.planId) {
    // Presented no more (the pooled key instead), then out of its old plan: a key is in one plan per stage.
    if (!(await owners.write(owner, apiKeyId, { apiKeyId, usageKey, keyPlanId }))) return;
    await gateway.removeFromPlan(keyPlanId, apiKeyId);
  }
  try {
    await gateway.addToPlan(plan.planId, apiKeyId);
  } catch (error) {
    // Once: a fresh key that cannot join its plan either is not the key's fault.
    if (!(error instanceof UnusableKeyError) || replacing) throw error;
    // A key that was in step may be presented until `retire` says otherwise.
    const readiness = inStep ? { keyRps: key.keyRps, keyReadyAt: key.keyReadyAt } : {};
    if (await retire(parts, owner, { apiKeyId, usageKey, keyPlanId: plan.planId, ...readiness })) {
      await syncKey(parts, { owner }, true);
    }
    return;
  }
  // Where the table said it was: it has been honoured there all along.
  if (inStep) return;
  const keyReadyAt = new Date(parts.clock().getTime() + gateway.warmupMs).toISOString();
  await owners.write(owner, apiKeyId, { apiKeyId, usageKey, keyPlanId: plan.planId, keyRps: plan.rps, keyReadyAt });
}

/**
 * Deletes an owner's key and forgets it: recorded as presented no more first, so that a
 * run that stops after the deletion never leaves a token presenting a key that is gone;
 * the deletion comes before the key is forgotten, so that no key is left behind unnamed.
 * False when the owner changed meanwhile (its own message follows).
 */
async function retire(
  { owners, gateway }: KeyWorkerParts,
  owner: KeyOwner,
  key: Partial<TokenBinding>,
  unlimited = false,
): Promise<boolean> {
  const { apiKeyId, usageKey, keyPlanId } = key;
  if (apiKeyId !== undefined) {
    const presented = key.keyReadyAt !== undefined;
    if (presented && !(await owners.write(owner, apiKeyId, { apiKeyId, usageKey, keyPlanId }))) return false;
    await gateway.deleteKey(apiKeyId);
  }
  return owners.write(owner, apiKeyId, null, unlimited);
}
