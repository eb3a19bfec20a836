import type { TokenBinding } from '../ports.js';

/**
 * A federation policy: which CI jobs (by their OIDC token's issuer, audience, subject and
 * claims) may trade that token for a short-lived access token of the service account,
 * how long such a token lives at most, and the one rate limit all of them share.
 */
export interface FederationPolicy {
  policyId: string;
  serviceAccountId: string;
  name: string;
  /** Compared exactly with the token's `iss`; its keys are found by OIDC discovery. */
  issuer: string;
  /** The token's `aud` must hold one of these. */
  audiences: string[];
  /** An exact subject or a pattern (see glob.ts). */
  subject: string;
  /** Each claim must match one of its patterns. */
  claims: Record<string, string[]>;
  /** The longest life of an issued token. */
  maxTtlSeconds: number;
  /** The oldest subject token accepted, by its `iat`. */
  maxTokenAgeSeconds: number;
  /** Requests per second shared by every token the policy issues; null: no limit. */
  maxRps: number | null;
  createdBy: string;
  createdAt: string;
}

/**
 * A policy as stored: with its rate-limit key when it has a limit, whether that key is
 * still to come, and the incarnation of the account it was made for (its issued tokens
 * are that incarnation's).
 */
export type StoredPolicy = FederationPolicy & Partial<TokenBinding> & { pendingSince?: string; incarnation?: string };

export const POLICY_LIMITS = {
  /** Policies per service account. */
  perAccount: 50,
  ttl: { min: 60, max: 3_600, default: 900 },
  tokenAge: { min: 60, max: 86_400, default: 3_600 },
  audiences: 10,
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
    audiences: policy.audiences,
    subject: policy.subject,
    claims: policy.claims,
    maxTtlSeconds: policy.maxTtlSeconds,
    maxTokenAgeSeconds: policy.maxTokenAgeSeconds,
    maxRps: policy.maxRps,
    createdBy: policy.createdBy,
    createdAt: policy.createdAt,
  };
}

/** Whether an issuer URL is acceptable: https, or plain http on a loopback host (local use only). */
export function issuerProblem(issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.search || url.hash || url.username || url.password) return 'must have no query, fragment or credentials';
  if (url.protocol === 'https:') return undefined;
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol === 'http:' && loopback) return undefined;
  return 'must be an https URL (plain http only on a loopback host)';
}
