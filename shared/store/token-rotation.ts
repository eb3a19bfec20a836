import type { Rotation, StoredToken } from '../ports.js';
import { absent, all, atMost, type Condition, either, equals, exists, updateExpression } from './expressions.js';
import { keys } from './keys.js';

/**
 * The writes of a rotation, on both of the token's items: the credential takes the new
 * secret's hash and keeps the old one (`previousSecretHash`, copied from `secretHash` in
 * the same update, so the old hash never passes through the service), with its grace
 * period; the token records who rotated it and when.
 *
 * Unless forced, a rotation must find no earlier grace period still running. The
 * credential keeps the hash after the period too: a later use of it is refused and
 * recorded as reuse.
 */
export function rotationItems(tableName: string, current: StoredToken, rotation: Rotation) {
  const settled: Condition[] = rotation.force ? [] : [either(equals('previousSecret', null), atMost('previousSecret.validUntil', rotation.rotatedAt))];
  return [
    [
      'token',
      {
        Update: {
          TableName: tableName,
          Key: keys.token(current.serviceAccountId, current.name),
          ...updateExpression({
            set: { rotatedAt: rotation.rotatedAt, rotatedBy: rotation.rotatedBy, previousSecret: rotation.previous, updatedAt: rotation.rotatedAt },
            condition: all(equals('lookupId', current.lookupId), absent('pendingSince'), ...settled),
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
            set: { secretHash: rotation.secretHash, previousSecret: rotation.previous },
            copy: { previousSecretHash: 'secretHash' },
            remove: ['reuseReportedAt'],
            condition: all(exists('pk'), ...settled),
          }),
        },
      },
    ],
  ] as const;
}
