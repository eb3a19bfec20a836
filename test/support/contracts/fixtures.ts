import type { TokenEvent, TokenEventType } from '../../../shared/kernel/events.js';
import { eventId } from '../../../shared/kernel/ids.js';
import type { TokenRecord } from '../../../shared/kernel/model.js';

/** The contracts' fixtures: a token as a create writes it, and an event about one, alike in every suite. */

/** A new, unrotated token of `account`, created by alice at `at`. */
export function contractRecord(
  account: { id: string; incarnation: string | undefined },
  name: string,
  minted: { lookupId: string; prefix: string },
  at: string,
): TokenRecord {
  return {
    serviceAccountId: account.id,
    name,
    lookupId: minted.lookupId,
    prefix: minted.prefix,
    status: 'ACTIVE',
    maxRps: null,
    expiresAt: null,
    createdAt: at,
    createdBy: 'alice',
    updatedAt: at,
    lastUsedAt: null,
    rotatedAt: null,
    rotatedBy: null,
    previousSecret: null,
    ...(account.incarnation === undefined ? {} : { incarnation: account.incarnation }),
  };
}

/** An event about `token` at `at`: by alice with a JWT unless `over` says otherwise, with no request. */
export function contractEvent(
  token: TokenRecord,
  type: TokenEventType,
  at: Date,
  over: Partial<TokenEvent> = {},
): TokenEvent {
  return {
    id: eventId(at),
    time: at.toISOString(),
    type,
    serviceAccountId: token.serviceAccountId,
    tokenName: token.name,
    ...(token.incarnation === undefined ? {} : { incarnation: token.incarnation }),
    actor: { userId: 'alice', authenticatedBy: 'JWT' },
    requestId: null,
    sourceIp: null,
    userAgent: null,
    changes: {},
    ...over,
  } as TokenEvent;
}
