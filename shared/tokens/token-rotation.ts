import { retiredAfterRotation } from '../auth/replaced-secrets.js';
import type { TokenCredential } from '../kernel/model.js';
import type { Rotation, StoredToken } from './ports.js';
import { absent, all, atMost, type Condition, either, equals, updateExpression } from '../dynamodb/expressions.js';
import { keys } from '../dynamodb/keys.js';

/**
 * The writes of a rotation, on both of the token's items: the credential takes the new
 * secret's hash and keeps the old one (`previousSecretHash`, copied from `secretHash` in
 * the same update), with its grace period; the secret that was previous joins the retired
 * ones (see replaced-secrets.ts); the token records who rotated it and when.
 *
 * Two versions are checked, so that of rotations sent at once exactly one hands out a
 * secret, and the grace period its caller asked for goes to the secret it replaced: the
 * token must not have been rotated since the request arrived (`requestedAt`: a request
 * that read after another rotation landed would otherwise replace that one's new secret
 * too), and the credential's current secret must still be the one `credential` was read
 * with (a secret is 256 random bits: it never comes back, so no other rotation can look
 * like none). The losers change nothing.
 *
 * Unless forced, a rotation must find no earlier grace period still running.
 */
export function rotationItems(
  tableName: string,
  current: StoredToken,
  credential: TokenCredential,
  rotation: Rotation,
) {
  const settled: Condition[] = rotation.force
    ? []
    : [either(equals('previousSecret', null), atMost('previousSecret.validUntil', rotation.rotatedAt))];
  const retired = retiredAfterRotation(credential, rotation.rotatedAt);
  return [
    [
      'token',
      {
        Update: {
          TableName: tableName,
          Key: keys.token(current.serviceAccountId, current.name),
          ...updateExpression({
            set: {
              rotatedAt: rotation.rotatedAt,
              rotatedBy: rotation.rotatedBy,
              previousSecret: rotation.previous,
              updatedAt: rotation.rotatedAt,
            },
            condition: all(
              equals('lookupId', current.lookupId),
              absent('pendingSince'),
              either(equals('rotatedAt', null), atMost('rotatedAt', rotation.requestedAt)),
              ...settled,
            ),
          }),
        },
      },
    ],
    [
      'credential',
      {
        Update: {
          TableName: tableName,
          Key: keys.credential(current.lookupId),
          ...updateExpression({
            set: {
              secretHash: rotation.secretHash,
              previousSecret: rotation.previous,
              retiredSecrets: retired.length > 0 ? retired : undefined,
            },
            copy: { previousSecretHash: 'secretHash' },
            remove: ['reuseReportedAt', ...(retired.length > 0 ? [] : ['retiredSecrets'])],
            condition: all(equals('secretHash', credential.secretHash), ...settled),
          }),
        },
      },
    ],
  ] as const;
}
