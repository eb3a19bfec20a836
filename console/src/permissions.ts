import type { AccountScope, WhoAmI } from './api/client';
import { ApiError } from './problems';

/**
 * Why the caller may not change this account's tokens or policies, if they may not:
 * said beside the disabled button that would, from what whoami says and how the list
 * was refused.
 */
export function refusal(me: WhoAmI, account: AccountScope, listError: unknown): string | undefined {
  if (account.scope === 'domain' && !me.capabilities.manageTokensIn.includes(account.domain)) {
    return (
      `You need the permission to manage access tokens in ${account.domain} ` +
      '(access_token.manage, or MANAGE_ACCESS_TOKEN). Ask an admin for it.'
    );
  }
  if (account.scope === 'admin' && !me.capabilities.admin) return 'Only admins can manage tokens from Admin › Users.';
  if (listError instanceof ApiError && (listError.code === 'NOT_SAME_GROUP' || listError.code === 'FORBIDDEN'))
    return listError.problem?.detail;
  return undefined;
}
