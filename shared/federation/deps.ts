import type { Runtime } from '../runtime/runtime.js';
import type { PolicyDeps } from './policies.js';

/** The policy use cases' ports, from a runtime (API Gateway's keys in AWS, the buckets locally). */
export function policyDeps(runtime: Runtime): PolicyDeps {
  return {
    policies: runtime.policies,
    rateLimits: runtime.rateLimits,
    clock: runtime.clock,
    ids: runtime.ids,
    defaultAudience: runtime.config.jwt.audience,
    onCompensationFailure: runtime.onCompensationFailure,
  };
}
