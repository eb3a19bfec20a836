import type { FederationPolicy } from '../kernel/model.js';
import type { TokenBinding } from '../kernel/model.js';
import { restrictionsOf } from '../kernel/restrictions.js';
import { type AddressRules, isLoopbackName, literalAddress, outboundUrlProblem } from './addresses.js';

/**
 * A policy as stored: with its rate-limit key once the key worker made it, its place in
 * the capacity (with a limit), `pendingSince` on a create an earlier version left
 * unfinished, and the incarnation of the account it was made for (its issued tokens are
 * that incarnation's).
 */
export type StoredPolicy = FederationPolicy &
  Partial<TokenBinding> & { pendingSince?: string; incarnation?: string; capacityShard?: number };

export const POLICY_LIMITS = {
  /** Policies per service account. */
  perAccount: 50,
  ttl: { min: 60, max: 3_600, default: 900 },
  tokenAge: { min: 60, max: 86_400, default: 3_600 },
  audiences: 10,
  jwksHosts: 5,
  claims: 20,
  patternsPerClaim: 20,
  patternLength: 256,
  /** Leaves room in a token name for the issued token's suffix (see exchange). */
  nameLength: 40,
} as const;

/** The public JSON of a policy (`FederationPolicy` in docs/openapi.json): never its key. */
export function toPolicyView(policy: StoredPolicy): FederationPolicy {
  return {
    policyId: policy.policyId,
    serviceAccountId: policy.serviceAccountId,
    name: policy.name,
    issuer: policy.issuer,
    jwksHosts: policy.jwksHosts,
    audiences: policy.audiences,
    subject: policy.subject,
    claims: policy.claims,
    maxTtlSeconds: policy.maxTtlSeconds,
    maxTokenAgeSeconds: policy.maxTokenAgeSeconds,
    maxRps: policy.maxRps,
    ...restrictionsOf(policy),
    createdBy: policy.createdBy,
    createdAt: policy.createdAt,
  };
}

/**
 * Why an issuer URL is not acceptable here; undefined when it is. In AWS: https, on a host
 * that is not an address of the service's own network (the name's addresses are checked
 * on every fetch, since DNS can change); plain http on a loopback host only where the
 * deployment allows it (local development).
 */
export function issuerProblem(issuer: string, rules: AddressRules): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.search || url.hash || url.username || url.password) return 'must have no query, fragment or credentials';
  return outboundUrlProblem(url, rules);
}

/** Why a `jwksHosts` entry (a host name, with a port if not 443) is not acceptable here; undefined when it is. */
export function jwksHostProblem(host: string, rules: AddressRules): string | undefined {
  const url = URL.canParse(`https://${host}/`) ? new URL(`https://${host}/`) : undefined;
  if (url === undefined || url.host !== host) return `'${host}' is not a lower-case host name (a port only if not 443)`;
  const loopback = isLoopbackName(url.hostname);
  const domain = literalAddress(url.hostname) === undefined && (loopback || url.hostname.includes('.'));
  if (!domain) return `'${host}' must be a domain name, not an address`;
  return loopback && !rules.allowLoopback ? `'${host}' is loopback` : undefined;
}
