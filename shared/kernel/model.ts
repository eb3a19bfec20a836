/** Types of the domain, free of AWS. */

/** Ids end up in URL paths and table keys: 1–128 characters, no whitespace, `/`, `#`, `?` or `%`. */
export const DIRECTORY_ID_PATTERN = /^[^\s/#?%]{1,128}$/;

/** An incarnation's name: `legacy`, or 21 lower-case base-36 characters (time first: they sort by creation). */
export const INCARNATION_PATTERN = /^(legacy|[0-9a-z]{21})$/;

export type TokenStatus = 'ACTIVE' | 'SUSPENDED';
export type DisplayedStatus = TokenStatus | 'EXPIRED';

/** A token as stored for its service account (never the secret, never its hash). */
export interface TokenRecord {
  serviceAccountId: string;
  name: string;
  lookupId: string;
  prefix: string;
  status: TokenStatus;
  maxRps: number | null;
  expiresAt: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  lastUsedAt: string | null;
  /** The last rotation: when and by whom; null if never rotated. */
  rotatedAt: string | null;
  rotatedBy: string | null;
  /** The secret a rotation replaced, while it is still accepted (or was, see `toTokenView`). */
  previousSecret: PreviousSecret | null;
  /** Set on a token issued by a federation exchange: the policy it came from. Absent on stored tokens. */
  federation?: { policyId: string; policyName: string };
  /** The incarnation of the account it was created for (absent: an account older than incarnations). */
  incarnation?: string;
}

/** STORED: created by a person or a token; FEDERATED: issued for a CI job's OIDC token by a federation policy. */
export type TokenKind = 'STORED' | 'FEDERATED';

/** A replaced secret's grace period: accepted until `validUntil`, last presented at `lastUsedAt`. */
export interface PreviousSecret {
  validUntil: string;
  lastUsedAt: string | null;
}

/** What the authorizer needs to accept or refuse a token, read in one `GetItem`. */
export interface TokenCredential {
  lookupId: string;
  serviceAccountId: string;
  name: string;
  secretHash: string;
  status: TokenStatus;
  maxRps: number | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  /** The secret before the last rotation: kept after its grace period, to notice its reuse. */
  previousSecretHash?: string;
  previousSecret?: PreviousSecret;
  /** Secrets replaced before the previous one, newest first: watched for reuse (see `RetiredSecret`). */
  retiredSecrets?: RetiredSecret[];
  /** When a use of a replaced secret after its grace period was last recorded. */
  reuseReportedAt?: string;
  /** The incarnation of the account it was created for. */
  incarnation?: string;
}

/**
 * A secret a rotation replaced, past its grace period: only its hash, kept so that a use
 * of it is recognised and recorded (`token.used_after_rotation`), for a bounded time
 * after `retiredAt` (when it stopped working) and in bounded number per token.
 */
export interface RetiredSecret {
  hash: string;
  retiredAt: string;
}

/** The public JSON of a token (`Token` in docs/openapi.json). */
export interface TokenView {
  name: string;
  serviceAccountId: string;
  status: DisplayedStatus;
  maxRps: number | null;
  expiresAt: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  lastUsedAt: string | null;
  prefix: string;
  rotatedAt: string | null;
  rotatedBy: string | null;
  /** The replaced secret while it still works; null when there is none or its grace period is over. */
  previousSecret: PreviousSecret | null;
  kind: TokenKind;
  /** The federation policy that issued it; null for stored tokens. */
  policyName: string | null;
}

export type UserType = 'USER' | 'SERVICE_ACCOUNT';
export type AuthorizationModel = 'ROLE_V1' | 'BUNDLE_V2';

/** A user as the authorization checks see it, read in one query. */
export interface Principal {
  id: string;
  type: UserType;
  groups: string[];
  domains: string[];
  adminRoles: string[];
  /** Domains in which this user may manage access tokens, under each domain's model. */
  tokenManagerIn: string[];
  /**
   * Which life of a service account this is: the import gives every service account it
   * creates (or re-creates after a removal) a new one, and its audit trail is that
   * incarnation's. Absent on accounts created before incarnations existed.
   */
  incarnation?: string;
}

/** A domain's member, as its members see it. */
export interface Member {
  id: string;
  type: UserType;
  groups: string[];
}

/** A user, as admins see it. */
export interface ListedUser extends Member {
  domains: string[];
}

export type AuthenticatedBy = 'JWT' | 'ACCESS_TOKEN';

/**
 * Which of a token's secrets a call was made with: its current one, or the one the last
 * rotation replaced, while its grace period runs (that one may only read: see
 * `assertSecretMayAct`).
 */
export type TokenSecret = 'current' | 'previous';

/** Who is calling, as the authorizer established it. */
export interface Caller {
  userId: string;
  authenticatedBy: AuthenticatedBy;
  /** The calling token, for access-token callers: its name and its own limits. */
  tokenName?: string;
  maxRps?: number | null;
  expiresAt?: string | null;
  /** Which of the token's secrets it presented, for access-token callers. */
  secret?: TokenSecret;
}

export function isExpired(expiresAt: string | null, now: Date): boolean {
  return expiresAt !== null && Date.parse(expiresAt) <= now.getTime();
}

export function toTokenView(record: TokenRecord, now: Date = new Date()): TokenView {
  return {
    name: record.name,
    serviceAccountId: record.serviceAccountId,
    status: isExpired(record.expiresAt, now) ? 'EXPIRED' : record.status,
    maxRps: record.maxRps,
    expiresAt: record.expiresAt,
    createdAt: record.createdAt,
    createdBy: record.createdBy,
    updatedAt: record.updatedAt,
    lastUsedAt: record.lastUsedAt,
    prefix: record.prefix,
    rotatedAt: record.rotatedAt,
    rotatedBy: record.rotatedBy,
    previousSecret: record.previousSecret && stillValid(record.previousSecret, now) ? record.previousSecret : null,
    kind: record.federation ? 'FEDERATED' : 'STORED',
    policyName: record.federation?.policyName ?? null,
  };
}

/** Whether a replaced secret is still within its grace period. */
export function stillValid(previous: PreviousSecret, now: Date): boolean {
  return Date.parse(previous.validUntil) > now.getTime();
}

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
  /**
   * Hosts other than the issuer's that may serve its keys (the discovery document's
   * `jwks_uri`), e.g. `www.googleapis.com` for `https://accounts.google.com`. Empty: the
   * keys must come from the issuer's own host.
   */
  jwksHosts: string[];
  /** The token's `aud` must hold one of these. */
  audiences: string[];
  /** An exact subject or a pattern (see federation/checks.ts). */
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

/** How a token is tied to its rate-limit key (an API Gateway key in AWS). */
export interface TokenBinding {
  apiKeyId: string;
  usageKey: string;
  /**
   * From when the key itself is presented. API Gateway may take seconds to honour a new
   * key; until then the token presents `fallbackUsageKey` (its plan's bridge key, at the
   * same rate) or, failing that, the shared key, so a token is never refused for being new.
   */
  keyReadyAt?: string;
  fallbackUsageKey?: string;
}

/**
 * The highest `maxRps` one token may have. Every call of a token reads its one credential
 * item, strongly consistently (one read unit for an item under 4 KB), and DynamoDB serves
 * one partition, so one item, at most 3,000 read units a second: a higher limit could be
 * set but never reached (docs/performance.md, "What one token can reach").
 */
export const TOKEN_MAX_RPS = 3_000;
