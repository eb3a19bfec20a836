import type { Config } from '../kernel/config.js';
import type { Clock, CompensationFailureReport, IdGenerator } from '../kernel/ports.js';
import type { RateLimits } from '../tokens/ports.js';
import type { PolicyStore } from './ports.js';
import type { PolicyDeps } from './policies.js';

/** What the policy use cases are built from. */
export interface PolicyParts {
  policies: PolicyStore;
  rateLimits: RateLimits;
  clock: Clock;
  ids: IdGenerator;
  onCompensationFailure?: CompensationFailureReport;
  config: Pick<Config, 'jwt'>;
}

/** The policy use cases' ports, from a parts (API Gateway's keys in AWS, the buckets locally). */
export function policyDeps(parts: PolicyParts): PolicyDeps {
  return {
    policies: parts.policies,
    rateLimits: parts.rateLimits,
    clock: parts.clock,
    ids: parts.ids,
    defaultAudience: parts.config.jwt.audience,
    onCompensationFailure: parts.onCompensationFailure,
  };
}
