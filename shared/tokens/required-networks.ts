import { ValidationError } from '../kernel/errors.js';

/**
 * The deployment (REQUIRE_ALLOWED_CIDRS) or one of the account's domains
 * (`requireAllowedCidrs` in the directory file) may require every new token of a service
 * account to be restricted to networks, as some platforms require a network policy before
 * a service user may hold a token at all. Tokens made before the requirement keep working.
 */
function networksRequired(deployment: boolean, account: boolean | undefined): boolean {
  return deployment || account === true;
}

/** Refuses a new token (or a change) that leaves a token without networks where they are required. */
export function checkNetworksRequired(
  deployment: boolean,
  account: boolean | undefined,
  allowedCidrs: string[] | null,
): void {
  if (allowedCidrs !== null || !networksRequired(deployment, account)) return;
  const by = deployment ? 'this deployment' : 'a domain of this service account';
  const message = `is required: ${by} requires every new token to be restricted to networks (1 to 20 CIDRs)`;
  throw new ValidationError([{ field: 'allowedCidrs', message }]);
}
