import type { Caller, Principal } from '../kernel/model.js';
import { TOKEN_SCOPES } from '../kernel/restrictions.js';
import type { Config } from '../kernel/config.js';
import { DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS } from '../kernel/replaced-secrets.js';

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

/**
 * The deployment's rules for tokens, for a client to offer only what the API accepts: the
 * longest lifetime (TOKEN_MAX_LIFETIME_DAYS), the highest Max RPS, and a rotation's grace
 * period (its default and longest).
 */
export function tokenSettingsOf(config: Pick<Config, 'tokens'>) {
  return {
    maxLifetimeDays: config.tokens.maxLifetimeDays,
    maxRps: config.tokens.maxRps,
    defaultGracePeriodSeconds: DEFAULT_GRACE_SECONDS,
    maxGracePeriodSeconds: MAX_GRACE_SECONDS,
  };
}

/** whoami's answer: the caller, how they authenticated, their capabilities, and the deployment's token settings. */
export function whoamiOf(caller: Caller, principal: Principal | undefined, config: Pick<Config, 'tokens'>) {
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
    tokenSettings: tokenSettingsOf(config),
  };
}
