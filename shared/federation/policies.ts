import { TOKEN_SCOPES, type TokenScope } from '../kernel/restrictions.js';
import { checkNetworksRequired } from '../tokens/required-networks.js';
import { ConcurrentUpdateError, PolicyNotFoundError, ProblemError } from '../kernel/errors.js';
import { newPolicyId } from '../kernel/ids.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';
import type { KeyOwner, RateLimits } from '../tokens/ports.js';
import { tokenEvent, type ChangeOrigin, type TokenEvent } from '../kernel/events.js';
import type { FederationPolicy } from '../kernel/model.js';
import { POLICY_LIMITS, type StoredPolicy, toPolicyView } from './policy.js';
import type { PolicyStore } from './ports.js';

/**
 * The policy use cases: create, list, get and delete. They know nothing of HTTP or AWS.
 * Creating and deleting a policy are changes of the account's trust, recorded in its
 * audit trail in the same transaction as the change (`federation_policy.created`,
 * `federation_policy.deleted`), with who made them and the whole policy.
 */

/**
 * A policy is a standing grant: it issues tokens for as long as it exists, whatever
 * happens to the credential that made it. So only a person (JWT) makes one; a token,
 * which can leak and be deleted, never does. Tokens may still list, read, test and
 * delete policies: none of those gives anything.
 */
export class TokenCannotCreatePolicyError extends ProblemError {
  constructor() {
    super(
      403,
      'TOKEN_CANNOT_CREATE_POLICY',
      'Tokens cannot create federation policies',
      'A federation policy keeps issuing tokens after the token that made it is gone: ' +
        'sign in as a person (JWT) to create one.',
    );
  }
}

/** Whether this caller is refused the creation of policies: every token caller is. */
export function refusedPolicyCreator(caller: { authenticatedBy: string }): TokenCannotCreatePolicyError | undefined {
  return caller.authenticatedBy === 'ACCESS_TOKEN' ? new TokenCannotCreatePolicyError() : undefined;
}

export interface PolicyDeps {
  policies: PolicyStore;
  rateLimits: RateLimits;
  clock: Clock;
  ids: IdGenerator;
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
  jwksHosts?: string[];
  maxRps?: number | null;
  /** The scopes and networks of the tokens it issues (absent: every scope; anywhere). */
  scopes?: TokenScope[];
  allowedCidrs?: string[] | null;
  /** Whether the deployment, or a domain of the account, requires networks on its new tokens. */
  networksRequiredBy?: { deployment: boolean; account: boolean | undefined };
  createdBy: string;
  /** Who creates it, and through which request: its event records them. */
  origin: ChangeOrigin;
  /** The account's incarnation, as read with it: the policy (and what it issues) is that account's. */
  incarnation?: string | undefined;
}

/**
 * The event of a policy's creation or deletion: the whole policy, never its key; it is
 * about no token, and goes to the trail of the incarnation the policy was made for.
 */
export function policyEvent(
  deps: Pick<PolicyDeps, 'clock' | 'ids'>,
  type: 'federation_policy.created' | 'federation_policy.deleted',
  policy: StoredPolicy,
  origin: ChangeOrigin,
  at: Date = deps.clock(),
): TokenEvent {
  const account = { serviceAccountId: policy.serviceAccountId, name: '', incarnation: policy.incarnation };
  const event = tokenEvent(deps, type, account, origin, {}, at);
  return { ...event, policy: toPolicyView(policy) };
}

async function quietly(deps: PolicyDeps, step: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    deps.onCompensationFailure?.(error, step);
  }
}

export async function createPolicy(deps: PolicyDeps, input: NewPolicyInput): Promise<FederationPolicy> {
  const refusal = refusedPolicyCreator(input.origin.actor);
  if (refusal) throw refusal;
  const maxRps = input.maxRps ?? null;
  // Where every new token must have networks, so must every token a policy issues.
  const required = input.networksRequiredBy;
  checkNetworksRequired(required?.deployment === true, required?.account, input.allowedCidrs ?? null);
  const now = deps.clock();
  const policy: StoredPolicy = {
    policyId: newPolicyId(),
    serviceAccountId: input.serviceAccountId,
    name: input.name,
    issuer: input.issuer,
    jwksHosts: input.jwksHosts ?? [],
    audiences: input.audiences ?? [deps.defaultAudience],
    subject: input.subject,
    claims: input.claims ?? {},
    maxTtlSeconds: input.maxTtlSeconds ?? POLICY_LIMITS.ttl.default,
    maxTokenAgeSeconds: input.maxTokenAgeSeconds ?? POLICY_LIMITS.tokenAge.default,
    maxRps,
    scopes: input.scopes ?? [...TOKEN_SCOPES],
    allowedCidrs: input.allowedCidrs ?? null,
    createdBy: input.createdBy,
    createdAt: now.toISOString(),
    ...(input.incarnation === undefined ? {} : { incarnation: input.incarnation }),
  };
  const limit = deps.limitPerAccount ?? POLICY_LIMITS.perAccount;
  await deps.policies.create(policy, limit, policyEvent(deps, 'federation_policy.created', policy, input.origin, now));
  // Its tokens present the tier's pooled key until the key worker has made the policy's own.
  if (maxRps !== null) {
    await quietly(deps, `queue the key of policy ${policy.policyId}`, () =>
      deps.rateLimits.keyChanged(policyOwner(policy)),
    );
  }
  return toPolicyView(policy);
}

const policyOwner = (policy: StoredPolicy): KeyOwner => ({
  kind: 'policy',
  serviceAccountId: policy.serviceAccountId,
  policyId: policy.policyId,
});

export async function listPolicies(deps: Pick<PolicyDeps, 'policies'>, accountId: string): Promise<FederationPolicy[]> {
  const policies = await deps.policies.list(accountId);
  return policies.filter((policy) => policy.pendingSince === undefined).map(toPolicyView);
}

export async function getPolicy(
  deps: Pick<PolicyDeps, 'policies'>,
  accountId: string,
  policyId: string,
): Promise<StoredPolicy> {
  const policy = await deps.policies.get(accountId, policyId);
  if (!policy || policy.pendingSince !== undefined) throw new PolicyNotFoundError();
  return policy;
}

/** Attempts of a deletion that lost a race with the key worker binding the policy's key. */
const DELETE_ATTEMPTS = 3;

/**
 * Deletes a policy: no exchange issues a token for it from then on. The tokens it issued
 * live until they expire (at most its maxTtlSeconds), unless suspended or deleted; with a
 * limit, their shared key goes with the policy (the key worker deletes it), and the
 * gateway refuses them from then on.
 */
export async function deletePolicy(deps: PolicyDeps, accountId: string, policyId: string, origin: ChangeOrigin) {
  for (let attempt = 1; ; attempt++) {
    const policy = await getPolicy(deps, accountId, policyId);
    try {
      await deps.policies.delete(policy, policyEvent(deps, 'federation_policy.deleted', policy, origin));
    } catch (error) {
      if (error instanceof ConcurrentUpdateError && attempt < DELETE_ATTEMPTS) continue;
      throw error;
    }
    const { apiKeyId } = policy;
    if (apiKeyId !== undefined) {
      await quietly(deps, `queue the deletion of key ${apiKeyId} of a deleted policy`, () =>
        deps.rateLimits.keyChanged(policyOwner(policy), apiKeyId),
      );
    }
    return;
  }
}
