import type { TokenEvent, TokenEventType } from '../kernel/events.js';

/** Filters and a page of a token's or an account's events. */
export interface EventQuery {
  /** Whose trail: the account's incarnation (undefined: an account older than incarnations). */
  incarnation?: string | undefined;
  limit: number;
  /** The id of the last event of the previous page. */
  afterId?: string;
  tokenName?: string;
  type?: TokenEventType;
}

export interface EventPage {
  events: TokenEvent[];
  /** The id to continue after, when more may follow. */
  lastId: string | undefined;
}

/** The audit trail (written by TokenStore with each change; read here). */
export interface TokenEvents {
  /** An account's events, newest first. */
  list(accountId: string, query: EventQuery): Promise<EventPage>;
}
