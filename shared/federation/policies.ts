import { ConcurrentUpdateError, PolicyNotFoundError } from '../errors.js';
import { newPolicyId } from '../ids.js';
import type { Clock, CompensationFailureReport, RateLimits, TokenBinding } from '../ports.js';
import { type CallerLimits, checkWithinCallerLimits, ExceedsCallerLimitsError } from '../tokens/caller-limits.js';
import { type FederationPolicy, POLICY_LIMITS, type StoredPolicy, toPolicyView } from './policy.js';
import type { PolicyStore } from './ports.js';

/** The policy use cases: create, list, get and delete. They know nothing of HTTP or AWS. */

export interface PolicyDeps {
  policies: PolicyStore;
  rateLimits: RateLimits;
  clock: Clock;
  /** The audience a policy checks when it names none: this API's own. */
  defaultAudience: string;
  limitPerAccount?: number;
  onCompensationFailure?: CompensationFailureReport;
}

export interface NewPolicyInput {
  serviceAccountId: string;
  name: string;
  issuer: string;
  audiences?: string[];
  subject: string;
  claims?: Record<string, string[]>;
  maxTtlSeconds?: number;
  maxTokenAgeSeconds?: number;
  maxRps?: number | null;
  createdBy: string;
  callerLimits?: CallerLimits;
  /** The account's incarnation, as read with it: the policy (and what it issues) is that account's. */
  incarnation?: string | undefined;
}

async function quietly(deps: PolicyDeps, step: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    deps.onCompensationFailure?.(error, step);
  }
}

export async function createPolicy(deps: PolicyDeps, input: NewPolicyInput): Promise<FederationPolicy> {
  const maxRps = input.maxRps ?? null;
  if (input.callerLimits) {
    // A policy issues tokens again and again: one made by an expiring token would outlive it.
    if (input.callerLimits.expiresAt !== null) {
      throw new ExceedsCallerLimitsError('A token that expires may not create a federation policy: the tokens it issues would outlive the calling token.');
    }
    checkWithinCallerLimits(input.callerLimits, { maxRps });
  }
  const now = deps.clock();
  const policy: StoredPolicy = {
    policyId: newPolicyId(),
    serviceAccountId: input.serviceAccountId,
    name: input.name,
    issuer: input.issuer,
    audiences: input.audiences ?? [deps.defaultAudience],
    subject: input.subject,
    claims: input.claims ?? {},
    maxTtlSeconds: input.maxTtlSeconds ?? POLICY_LIMITS.ttl.default,
    maxTokenAgeSeconds: input.maxTokenAgeSeconds ?? POLICY_LIMITS.tokenAge.default,
    maxRps,
    createdBy: input.createdBy,
    createdAt: now.toISOString(),
    ...(input.incarnation === undefined ? {} : { incarnation: input.incarnation }),
  };
  const limit = deps.limitPerAccount ?? POLICY_LIMITS.perAccount;
  if (maxRps === null) {
    await deps.policies.create(policy, limit);
    return toPolicyView(policy);
  }
  // The limit is claimed first, so a refused create makes no key; the policy's one key,
  // shared by every token it will issue, follows, and the policy is used only once it has it.
  await deps.policies.create({ ...policy, pendingSince: policy.createdAt }, limit);
  const discard = () => quietly(deps, `delete pending policy ${policy.policyId}`, () => deps.policies.delete({ ...policy }));
  let binding: TokenBinding;
  try {
    binding = await deps.rateLimits.bind({ lookupId: policy.policyId, maxRps, enabled: true });
  } catch (error) {
    await discard();
    throw error;
  }
  let completed = false;
  try {
    completed = await deps.policies.complete(policy, binding);
  } finally {
    if (!completed) {
      await quietly(deps, `delete key ${binding.apiKeyId} of a policy not completed`, () => deps.rateLimits.unbind(binding));
      await discard();
    }
  }
  if (!completed) throw new ConcurrentUpdateError();
  return toPolicyView(policy);
}

export async function listPolicies(deps: Pick<PolicyDeps, 'policies'>, accountId: string): Promise<FederationPolicy[]> {
  const policies = await deps.policies.list(accountId);
  return policies.filter((policy) => policy.pendingSince === undefined).map(toPolicyView);
}

export async function getPolicy(deps: Pick<PolicyDeps, 'policies'>, accountId: string, policyId: string): Promise<StoredPolicy> {
  const policy = await deps.policies.get(accountId, policyId);
  if (!policy || policy.pendingSince !== undefined) throw new PolicyNotFoundError();
  return policy;
}

/**
 * Deletes a policy: no exchange issues a token for it from then on. The tokens it issued
 * live until they expire (at most its maxTtlSeconds), unless suspended or deleted; with a
 * limit, their shared key goes with the policy, so the gateway refuses them at once.
 */
export async function deletePolicy(deps: PolicyDeps, accountId: string, policyId: string): Promise<void> {
  const policy = await getPolicy(deps, accountId, policyId);
  await deps.policies.delete(policy);
  if (policy.apiKeyId !== undefined && policy.usageKey !== undefined) {
    const binding = { apiKeyId: policy.apiKeyId, usageKey: policy.usageKey };
    await quietly(deps, `delete key ${binding.apiKeyId} of a deleted policy`, () => deps.rateLimits.unbind(binding));
  }
}
