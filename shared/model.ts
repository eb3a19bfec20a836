/** Types of the domain, free of AWS. */

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

/** Who is calling, as the authorizer established it. */
export interface Caller {
  userId: string;
  authenticatedBy: AuthenticatedBy;
  /** The calling token, for access-token callers: its name and its own limits. */
  tokenName?: string;
  maxRps?: number | null;
  expiresAt?: string | null;
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
  };
}
