import type { TokenCredential } from '../kernel/model.js';
import type { TokenEvent } from '../kernel/events.js';

/** Tokens whose secret was found in public (secret scanning). */
export interface TokenExposures {
  /**
   * The credentials of these lookup ids (strongly consistent), in as few reads as the store allows; missing ones are
   * absent.
   */
  credentials(lookupIds: string[]): Promise<Map<string, TokenCredential & { pendingSince?: string }>>;
  /**
   * Suspends the token of a credential read just before (both items), with its event,
   * only if its secrets are still those read; false when a rotation or deletion got in
   * between. A token already suspended stays so and gets the event.
   */
  suspendExposed(credential: TokenCredential, at: string, event: TokenEvent): Promise<boolean>;
}
