import type { TokenStatus } from '../kernel/model.js';
import type { TokenEvent } from '../kernel/events.js';

/** A token whose next expiry notice is due, as the `notices` index holds it. */
export interface DueNotice {
  serviceAccountId: string;
  name: string;
  lookupId: string;
  expiresAt: string;
  /** When the notice was due: the write that records it is conditional on this. */
  noticeAt: string;
  /** The incarnation of the account the token was created for: its event's trail. */
  incarnation?: string;
}

/** An active token unused since `activeDay`, as the `idle` index holds it. */
export interface IdleToken {
  serviceAccountId: string;
  name: string;
  lookupId: string;
  status: TokenStatus;
  activeDay: string;
  /** The incarnation of the account the token was created for: its event's trail. */
  incarnation?: string;
}

/** What the lifecycle job read: it grows with the tokens due, never with all tokens. */
export interface LifecycleReads {
  /** Query requests made (a few per run whatever the tokens due: one per shard and index). */
  queries: number;
  /** Index entries those queries returned. */
  items: number;
  /** Read capacity DynamoDB reported for them. */
  capacityUnits: number;
}

/** The expiry notices and the suspension of unused tokens, on the sparse indexes. */
export interface TokenLifecycle {
  /** Tokens whose next notice is at or before `now`. */
  dueNotices(now: Date): AsyncIterable<DueNotice>;
  /**
   * Records a notice with its event and moves the token on to its next notice (none:
   * out of the index), once: false when another run got there first or the token changed.
   */
  recordNotice(due: DueNotice, next: string | undefined, event: TokenEvent): Promise<boolean>;
  /** Active tokens whose last activity was on a day before `beforeDay` (`YYYY-MM-DD`). */
  idleTokens(beforeDay: string): AsyncIterable<IdleToken>;
  /** Suspends an idle token with its event; false if it was used, changed or suspended meanwhile. */
  suspendIdle(token: IdleToken, beforeDay: string, at: string, event: TokenEvent): Promise<boolean>;
  /** Takes a token that is no longer active out of the idle index. */
  forgetIdle(token: IdleToken): Promise<void>;
  /** The reads made so far. */
  readonly reads: LifecycleReads;
}
