import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TokenCredential, TokenEvent } from '../model.js';
import type { TokenExposures } from '../ports.js';
import { eventPut } from './event-items.js';
import { all, equals, exists, updateExpression } from './expressions.js';
import { keys } from './keys.js';
import { transact, TransactionCancelled } from './transactions.js';

/**
 * The suspension of a token whose secret was found in public: both items and the
 * `token.exposed` event in one transaction, conditional on the credential still holding
 * the secrets that were matched, so a rotation landing in between is never undone.
 */
export class DynamoTokenExposures implements TokenExposures {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly auditRetentionDays: number,
  ) {}

  async suspendExposed(credential: TokenCredential, at: string, event: TokenEvent): Promise<boolean> {
    const set = { status: 'SUSPENDED', updatedAt: at };
    try {
      await transact(this.client, [
        ['event', eventPut(this.tableName, event, this.auditRetentionDays)],
        [
          'credential',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.credential(credential.lookupId),
              ...updateExpression({
                set: { ...set, exposedAt: at },
                condition: all(exists('pk'), equals('secretHash', credential.secretHash), equals('previousSecretHash', credential.previousSecretHash)),
              }),
            },
          },
        ],
        [
          'token',
          {
            Update: {
              TableName: this.tableName,
              Key: keys.token(credential.serviceAccountId, credential.name),
              // Out of the idle index with the suspension, as any suspension takes it out.
              ...updateExpression({ set, remove: ['activeDay'], condition: equals('lookupId', credential.lookupId) }),
            },
          },
        ],
      ]);
      return true;
    } catch (error) {
      if (error instanceof TransactionCancelled && (error.anyFailed || error.conflicted)) return false;
      throw error instanceof TransactionCancelled ? error.cause : error;
    }
  }
}
