import { eventId } from '../kernel/ids.js';
import { INCARNATION_PATTERN } from '../kernel/model.js';

/**
 * An account's incarnations. A directory import that removes a service account and a later
 * one that adds the same id again (or makes a person a service account, or one back)
 * create two accounts that only share an id: the import gives each service account it
 * creates an incarnation, kept on its profile, and everything that belongs to the account
 * rather than to its id (its audit trail; its tokens and policies, which carry it and are
 * written only while the profile still has it) belongs to that incarnation. Managers of
 * the account read its current incarnation's trail alone; admins may read a past one.
 *
 * Accounts created before incarnations existed have none: their trail is the one their id
 * always had, called `legacy` where a name is needed. It may hold the events of an
 * earlier account of the same id, removed before incarnations existed.
 */

/** The name of the trail of an account created before incarnations. */
export const LEGACY_INCARNATION = 'legacy';

export const isIncarnationName = (value: string): boolean => INCARNATION_PATTERN.test(value);

/** A new incarnation, made at `at`: sortable by time, and random beyond it. */
export const newIncarnation = (at: Date): string => eventId(at);

/** The name of an incarnation (undefined: legacy). */
export const incarnationName = (incarnation: string | undefined): string => incarnation ?? LEGACY_INCARNATION;

/** An incarnation of an account, as admins list them. */
export interface Incarnation {
  incarnation: string;
  /** Whether it is the account the directory holds now. */
  current: boolean;
  /** When the import created it; null for legacy. */
  startedAt: string | null;
  /** When an import began to remove it (or change its type); null while it lasts. */
  endedAt: string | null;
  /** Its groups: now for the current one, when it ended for the others. Admins see it only if they share one. */
  groups: string[];
}
