import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TokenCredential } from '../kernel/model.js';
import type { TokenExposures } from './ports.js';
import { eventPut } from '../dynamodb/event-items.js';
import { all, equals, exists, updateExpression } from '../dynamodb/expressions.js';
import { keys } from '../dynamodb/keys.js';
import { toCredential } from '../tokens/token-items.js';

/** Keys per BatchGetItem, DynamoDB's limit. */
const BATCH = 100;
/** Rounds for keys DynamoDB leaves unprocessed (throttling) before the report fails and GitHub retries it. */
const ROUNDS = 5;
import { transact, TransactionCancelled } from '../dynamodb/transactions.js';
import type { TokenEvent } from '../kernel/events.js';

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

  async credentials(lookupIds: string[]): Promise<Map<string, TokenCredential & { pendingSince?: string }>> {
    const found = new Map<string, TokenCredential & { pendingSince?: string }>();
    for (let start = 0; start < lookupIds.length; start += BATCH) {
      let pending: Record<string, unknown>[] = lookupIds
        .slice(start, start + BATCH)
        .map((lookupId) => ({ ...keys.credential(lookupId) }));
      for (let round = 0; pending.length > 0; round++) {
        if (round >= ROUNDS) throw new Error(`${pending.length} credential read(s) left unprocessed`);
        const result = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of result.Responses?.[this.tableName] ?? [])
          found.set(String(item.lookupId), toCredential(item));
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return found;
  }

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
                condition: all(
                  exists('pk'),
                  equals('secretHash', credential.secretHash),
                  equals('previousSecretHash', credential.previousSecretHash),
                ),
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
