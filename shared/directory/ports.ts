import type { PrincipalLookup } from '../auth/ports.js';
import type { ListedUser, Member, Principal } from '../kernel/model.js';
import type { Directory } from './directory.js';
import type { Incarnation } from './incarnations.js';

/**
 * The directory's port: who users are (read on every request), its listings for the
 * console, and what an operator's import reads and writes. Re-exported by shared/ports.ts
 * with the use cases' other ports.
 */

export interface DirectoryWriteResult {
  written: number;
  deleted: number;
  unchanged: number;
}

/** The stored directory as read, and a way to make it another that writes only what differs. */
export interface DirectorySnapshot {
  directory: Directory;
  /** Accounts that hold (or held) tokens: their tokens' counter exists. */
  tokenHolders: string[];
  /** Users whose retirement as a service account began and may not have finished. */
  retiring: string[];
  write(target: Directory): Promise<DirectoryWriteResult>;
}

/** A page of a directory listing, by id. */
export interface DirectoryPage<T> {
  items: T[];
  /** Id of the last entry returned when more follow. */
  lastId: string | undefined;
}

export interface DirectoryStore extends PrincipalLookup {
  /** Everything the checks need about one user, in one strongly consistent read; undefined if unknown. */
  getPrincipal(userId: string): Promise<Principal | undefined>;
  /**
   * A service account as it is, or was, in one of its incarnations (by name, `legacy`
   * included): the current profile if it is that one, else the account as that
   * incarnation ended (its groups then); undefined if the id never had it.
   */
  getIncarnation(accountId: string, incarnation: string): Promise<Principal | undefined>;
  /** Every incarnation of an account id, newest first. */
  listIncarnations(accountId: string): Promise<Incarnation[]>;
  /** A domain's members, by id, a page at a time; only ids that start with `startsWith` when given. */
  listMembers(domain: string, limit: number, afterId?: string, startsWith?: string): Promise<DirectoryPage<Member>>;
  /** One member of a domain; undefined if the user is not one. */
  getMember(domain: string, userId: string): Promise<Member | undefined>;
  /** Every user of the directory, by id, a page at a time; only ids that start with `startsWith` when given. */
  listUsers(limit: number, afterId?: string, startsWith?: string): Promise<DirectoryPage<ListedUser>>;
  /** The whole directory (an operator's import, never a request). */
  snapshot(): Promise<DirectorySnapshot>;
  /**
   * Marks a service account as leaving the directory (removed, or no longer of that type):
   * from then on no token can be created for it (see TokenStore.create), and its
   * incarnation is recorded as ended. A user already gone is left alone.
   */
  retire(userId: string): Promise<void>;
}
