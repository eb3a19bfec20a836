import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

type Listener = (command: { constructor: { name: string }; input: any }) => void;
const listeners: Listener[] = [];

/**
 * Calls `listener` with every DynamoDB command this test file's process sends, whichever
 * client sends it: every call passes the SDK's base client `send` (document and raw
 * clients alike), which is wrapped once.
 */
export function onDynamoDbCommand(listener: Listener): void {
  if (listeners.length === 0) {
    const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: (...args: any[]) => Promise<unknown> };
    const send = base.send;
    base.send = function observed(this: unknown, command: Parameters<Listener>[0], ...rest: unknown[]) {
      for (const notify of listeners) notify(command);
      return (send as any).call(this, command, ...rest);
    };
  }
  listeners.push(listener);
}

// PartiQL statements may write: counted as writes, so they can only cause more checks.
const WRITE =
  /^((Put|Update|Delete|TransactWrite|BatchWrite)(Item|Items)?|ExecuteStatement|ExecuteTransaction|BatchExecuteStatement)Command$/;

/**
 * Counts the DynamoDB writes this process sends. A request during which the count did
 * not move cannot have changed the table, so a check of the table after it can be
 * skipped without weakening it.
 */
export function writeCounter(): () => number {
  let writes = 0;
  onDynamoDbCommand((command) => {
    if (WRITE.test(command.constructor.name)) writes += 1;
  });
  return () => writes;
}
