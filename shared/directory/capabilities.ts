import type { Caller, Principal } from '../kernel/model.js';
import { TOKEN_SCOPES } from '../kernel/restrictions.js';

/** What the caller may do, for a client to show only what will work (whoami). */
export interface Capabilities {
  /** Holds an admin role: Admin › Users, and tokens on the admin paths. */
  admin: boolean;
  /** The domains the caller belongs to (Settings › Members). */
  domains: string[];
  /** The domains where the caller may manage tokens. */
  manageTokensIn: string[];
}

export function capabilitiesOf(principal: Principal | undefined): Capabilities {
  return {
    admin: (principal?.adminRoles.length ?? 0) > 0,
    domains: [...(principal?.domains ?? [])].sort(),
    manageTokensIn: [...(principal?.tokenManagerIn ?? [])].sort(),
  };
}

/** whoami's answer: the caller, how they authenticated, and their capabilities. */
export function whoamiOf(caller: Caller, principal: Principal | undefined) {
  return {
    userId: caller.userId,
    // An identity-provider user the directory does not know yet is a plain user with no grants.
    type: principal?.type ?? 'USER',
    authenticatedBy: caller.authenticatedBy,
    ...(caller.authenticatedBy === 'ACCESS_TOKEN'
      ? {
          tokenName: caller.tokenName,
          maxRps: caller.maxRps ?? null,
          expiresAt: caller.expiresAt ?? null,
          scopes: caller.scopes ?? [...TOKEN_SCOPES],
          allowedCidrs: caller.allowedCidrs ?? null,
        }
      : {}),
    capabilities: capabilitiesOf(principal),
  };
}
