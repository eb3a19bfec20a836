import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A transaction's item, with the name its cancellation reason is read by. */
export type NamedItem<Name extends string = string> = readonly [Name, TransactItem];

/**
 * Why a transaction was cancelled, by the names its items were given: DynamoDB reports
 * reasons by position, and a name cannot silently point at the wrong item when the
 * transaction gains or loses one.
 */
export class TransactionCancelled<Name extends string = string> extends Error {
  override name = 'TransactionCancelled';
  constructor(
    private readonly reasons: ReadonlyMap<Name, string | undefined>,
    options: { cause: unknown },
  ) {
    super('Transaction cancelled', options);
  }

  /** The named item's condition did not hold. */
  failed(item: Name): boolean {
    return this.reasons.get(item) === 'ConditionalCheckFailed';
  }

  /** Some item's condition did not hold. */
  get anyFailed(): boolean {
    return [...this.reasons.values()].includes('ConditionalCheckFailed');
  }

  /** Another request was writing one of the items at the same moment. */
  get conflicted(): boolean {
    return [...this.reasons.values()].includes('TransactionConflict');
  }
}

function isCancellation(error: unknown): error is TransactionCanceledException {
  return (
    error instanceof TransactionCanceledException ||
    (error as { name?: string })?.name === 'TransactionCanceledException'
  );
}

/**
 * Writes named items in one transaction. A cancellation becomes TransactionCancelled,
 * whose reasons are read by name; any other error is thrown as it is.
 */
export async function transact<Name extends string>(
  client: DynamoDBDocumentClient,
  items: ReadonlyArray<NamedItem<Name>>,
): Promise<void> {
  try {
    await client.send(new TransactWriteCommand({ TransactItems: items.map(([, item]) => item) }));
  } catch (error) {
    if (!isCancellation(error)) throw error;
    const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
    throw new TransactionCancelled(new Map(items.map(([name], i) => [name, codes[i]])), { cause: error });
  }
}
