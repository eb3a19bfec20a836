import type { ChangeOrigin, EventDetails, FieldChange, TokenEvent, TokenEventType, TokenRecord } from './model.js';
import type { Clock, IdGenerator } from './ports.js';

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
