import type { Caller } from '../kernel/model.js';
import type { ChangeOrigin } from '../kernel/events.js';

/** Where a request came from, as API Gateway describes it: what an audit event records. */
export interface RequestMeta {
  requestId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
}

interface EventLike {
  requestContext?: {
    requestId?: string;
    requestTimeEpoch?: number;
    identity?: { sourceIp?: string | null; userAgent?: string | null };
  } | null;
  headers?: Record<string, string | undefined> | null;
}

/** Longest user agent kept: enough to tell clients apart, not a place to store a payload. */
const USER_AGENT_LENGTH = 256;

export function requestMeta(event: EventLike): RequestMeta {
  const context = event.requestContext;
  const header = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'user-agent')?.[1];
  const userAgent = context?.identity?.userAgent ?? header ?? null;
  return {
    requestId: context?.requestId ?? null,
    sourceIp: context?.identity?.sourceIp ?? null,
    userAgent: userAgent === null ? null : userAgent.slice(0, USER_AGENT_LENGTH),
  };
}

/** The origin of a change: the caller (for a token, which of its secrets acted), and the request it came through. */
export function changeOrigin(caller: Caller, meta: RequestMeta): ChangeOrigin {
  return {
    actor: {
      userId: caller.userId,
      authenticatedBy: caller.authenticatedBy,
      ...(caller.tokenName === undefined ? {} : { tokenName: caller.tokenName }),
      ...(caller.secret === undefined ? {} : { secret: caller.secret }),
    },
    ...meta,
  };
}

/**
 * When the gateway received the request (API Gateway's `requestTimeEpoch`, which no
 * client sets), as an ISO time; `now` when the event has none.
 */
export function requestedAt(event: EventLike, now: Date): string {
  const epoch = event.requestContext?.requestTimeEpoch;
  return new Date(typeof epoch === 'number' && Number.isFinite(epoch) ? epoch : now.getTime()).toISOString();
}
