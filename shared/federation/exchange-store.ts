import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, PolicyNotFoundError, ServiceAccountNotFoundError } from '../kernel/errors.js';
import type { StoredPolicy } from './policy.js';
import type { ExchangeRecords, ReplayGuard } from './ports.js';
import type { NewToken } from '../tokens/ports.js';
import { eventItem, eventPut } from '../dynamodb/event-items.js';
import { absent, all, either, exists, expression, lessThan } from '../dynamodb/expressions.js';
import { keys, TTL_ATTRIBUTE } from '../dynamodb/keys.js';
import { accountCheck } from '../dynamodb/account-check.js';
import { newTokenItems } from '../tokens/token-items.js';
import { TransactionCancelled, transact } from '../dynamodb/transactions.js';
import type { TokenEvent } from '../kernel/events.js';

const replayKey = (issuer: string, jti: string) =>
  keys.replay(createHash('sha256').update(`${issuer}\n${jti}`, 'utf8').digest('base64url'));

/**
 * Used subject tokens, one item per issuer and `jti`, kept until the token's `exp` (then
 * DynamoDB TTL removes it). The put is conditional, so of two Lambdas presenting the same
 * token at the same moment exactly one wins. An item past its `exp` that TTL has not
 * removed yet (TTL is lazy) counts as gone: the token itself is expired by then anyway.
 */
export class DynamoReplayGuard implements ReplayGuard {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(issuer: string, jti: string, expiresAtSeconds: number, now: Date): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...replayKey(issuer, jti), usedAt: now.toISOString(), [TTL_ATTRIBUTE]: expiresAtSeconds },
          ...expression({ condition: either(absent('pk'), lessThan(TTL_ATTRIBUTE, Math.floor(now.getTime() / 1000))) }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async used(issuer: string, jti: string, now: Date): Promise<boolean> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: replayKey(issuer, jti), ConsistentRead: true }),
    );
    return Item !== undefined && Number(Item[TTL_ATTRIBUTE]) >= Math.floor(now.getTime() / 1000);
  }
}

/** What exchanges write: the issued token (both items and its event, in one transaction) or a refusal's event. */
export class DynamoExchangeRecords implements ExchangeRecords {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly auditRetentionDays: number,
  ) {}

  async issue(token: NewToken, policy: StoredPolicy, event: TokenEvent): Promise<void> {
    const items = newTokenItems(token);
    try {
      await transact(this.client, [
        ['event', eventPut(this.tableName, event, this.auditRetentionDays)],
        [
          'token',
          { Put: { TableName: this.tableName, Item: items.token, ...expression({ condition: absent('pk') }) } },
        ],
        [
          'credential',
          { Put: { TableName: this.tableName, Item: items.credential, ...expression({ condition: absent('pk') }) } },
        ],
        ['account', accountCheck(this.tableName, policy.serviceAccountId, policy.incarnation)],
        [
          'policy',
          {
            ConditionCheck: {
              TableName: this.tableName,
              Key: keys.policy(policy.serviceAccountId, policy.policyId),
              // Not on its key: the key worker may bind it meanwhile, and the token then presents
              // its tier's pooled key instead, which is as safe.
              ...expression({ condition: all(exists('pk'), absent('pendingSince')) }),
            } as { TableName: string; Key: { pk: string; sk: string }; ConditionExpression: string },
          },
        ],
      ]);
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      if (error.failed('account')) throw new ServiceAccountNotFoundError();
      if (error.failed('policy')) throw new PolicyNotFoundError();
      if (error.anyFailed || error.conflicted) throw new ConcurrentUpdateError({ cause: error });
      throw error.cause;
    }
  }

  async refused(event: TokenEvent): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: eventItem(event, this.auditRetentionDays),
        ...expression({ condition: absent('pk') }),
      }),
    );
  }
}
