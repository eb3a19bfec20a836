import { absent, all, equals, exists, expression } from './expressions.js';
import { type ItemKey, keys } from './keys.js';

/**
 * The transaction item that holds a write to an account (a token, a policy, an issued
 * token) to the account being, at that moment, a service account of the directory that is
 * not leaving it: an import retires an account before it sweeps its tokens, so a write
 * racing the import either fails here or lands before the sweep. And the same account:
 * `incarnation` is the one the write was decided for (read with the profile; undefined
 * for an account older than incarnations), so a write decided before an import removed
 * the account and added its id again cannot land on the new one.
 */
export function accountCheck(tableName: string, accountId: string, incarnation: string | undefined) {
  return {
    ConditionCheck: {
      TableName: tableName,
      Key: keys.profile(accountId),
      ...expression({
        condition: all(
          exists('pk'),
          equals('type', 'SERVICE_ACCOUNT'),
          absent('retiring'),
          equals('incarnation', incarnation),
        ),
      }),
    } as { TableName: string; Key: ItemKey; ConditionExpression: string },
  };
}
