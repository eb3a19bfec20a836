import type { AuthenticatedBy, FederationPolicy, TokenRecord, TokenSecret } from './model.js';
import type { Clock, IdGenerator } from './ports.js';

/**
 * The audit trail's events: what one records (who changed what, through which request),
 * and how a use case makes one. Each is written in the same transaction as its change.
 */

export type TokenEventType =
  | 'token.created'
  | 'token.updated'
  | 'token.rotated'
  | 'token.deleted'
  | 'token.used_after_rotation'
  | 'token.expiring'
  | 'token.expired'
  | 'token.suspended_unused'
  | 'token.exposed'
  | 'token.exchanged'
  | 'token.exchange_refused'
  | 'federation_policy.created'
  | 'federation_policy.deleted';

/**
 * Facts an event states beyond field changes (an expiry notice's threshold, where a leak was found). Never a secret.
 */
export type EventDetails = Record<string, string | number | null>;

/** What a federation exchange was asked with, and why it was refused: never the subject token itself. */
export interface ExchangeDetails {
  policyId: string | null;
  policyName: string | null;
  /** The subject token's claims, as presented (verified only on `token.exchanged`), cut to a bounded length. */
  issuer: string | null;
  subject: string | null;
  jti: string | null;
  /** On `token.exchange_refused`: the error code and which check failed. */
  error?: string;
  reason?: string;
}

/** Who made a change: a person (JWT), a token, or the service itself (an import, a repair). */
export interface Actor {
  userId: string;
  authenticatedBy: AuthenticatedBy | 'SYSTEM';
  /** The acting token, when a token acted. */
  tokenName?: string;
  /** Which of its secrets the acting token presented, when a token acted. */
  secret?: TokenSecret;
}

/** Who made a change, and through which request: recorded with it. */
export interface ChangeOrigin {
  actor: Actor;
  requestId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
}

/** A field's value before and after a change. */
export interface FieldChange {
  before: unknown;
  after: unknown;
}

/** One change to a token, as recorded in the same transaction as the change. Never a secret, a hash or a key value. */
export interface TokenEvent extends ChangeOrigin {
  /** Sortable: later events have greater ids. */
  id: string;
  time: string;
  type: TokenEventType;
  serviceAccountId: string;
  tokenName: string;
  changes: Record<string, FieldChange>;
  /** Present on the lifecycle's events: see docs/events.md. */
  details?: EventDetails;
  /** On exchange events. */
  exchange?: ExchangeDetails;
  /** On federation policy events: the whole policy (never its key). */
  policy?: FederationPolicy;
  /** The incarnation of the account whose trail holds it (absent: an account older than incarnations). */
  incarnation?: string;
}

/** Who acts when no request does: the service itself (tests calling use cases, repairs). */
export const SERVICE_ORIGIN: ChangeOrigin = {
  actor: { userId: 'service', authenticatedBy: 'SYSTEM' },
  requestId: null,
  sourceIp: null,
  userAgent: null,
};

/** An operator's import of the directory, acting on tokens of accounts it removes. */
/** The lifecycle job: expiry notices and the suspension of unused tokens. */
export const LIFECYCLE_ORIGIN: ChangeOrigin = {
  actor: { userId: 'lifecycle', authenticatedBy: 'SYSTEM' },
  requestId: null,
  sourceIp: null,
  userAgent: null,
};

export const IMPORT_ORIGIN: ChangeOrigin = {
  actor: { userId: 'directory-import', authenticatedBy: 'SYSTEM' },
  requestId: null,
  sourceIp: null,
  userAgent: null,
};

/** The fields an event records the before and after of. */
const TRACKED = ['status', 'maxRps', 'expiresAt'] as const;

/** Each tracked field that differs, with its value before and after; `undefined` stands for "no token". */
export function fieldChanges(
  before: Partial<TokenRecord> | undefined,
  after: Partial<TokenRecord> | undefined,
): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const field of TRACKED) {
    const was = before === undefined ? null : (before[field] ?? null);
    const is = after === undefined ? null : (after[field] ?? null);
    if (was !== is || before === undefined || after === undefined) changes[field] = { before: was, after: is };
  }
  return changes;
}

/**
 * A new event of `type` about a token, made at `at` by `origin`, in the trail of the
 * incarnation of the account the token (or policy) was created for.
 */
export function tokenEvent(
  deps: { clock: Clock; ids: IdGenerator },
  type: TokenEventType,
  token: { serviceAccountId: string; name: string; incarnation?: string | undefined },
  origin: ChangeOrigin,
  changes: Record<string, FieldChange> = {},
  at: Date = deps.clock(),
  details?: EventDetails,
): TokenEvent {
  return {
    id: deps.ids.eventId(at),
    time: at.toISOString(),
    type,
    serviceAccountId: token.serviceAccountId,
    tokenName: token.name,
    ...origin,
    changes,
    ...(details === undefined ? {} : { details }),
    ...(token.incarnation === undefined ? {} : { incarnation: token.incarnation }),
  };
}
