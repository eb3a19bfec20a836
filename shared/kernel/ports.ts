import type { MintedToken } from './token-format.js';

/**
 * The ports every feature shares: time, randomness, and the report of a failed undo.
 * Each feature's own ports are in its `ports.ts`; the composition root picks the adapters.
 */

/** The current time. A port so that tests can move it. */
export type Clock = () => Date;

/** Fresh randomness for new tokens and events. */
export interface IdGenerator {
  mintToken(): MintedToken;
  /** A new secret for an existing token (a rotation): the same lookup id, so one read still finds it. */
  mintSecret(lookupId: string): MintedToken;
  /** A sortable event id: ids made later sort after ids made earlier. */
  eventId(at: Date): string;
}

/**
 * Told when undoing half of a change failed. The request still fails (or succeeds) with
 * its own outcome; what the undo left behind (an orphan key or plan) is for reconcile.
 */
export type CompensationFailureReport = (error: unknown, step: string) => void;
