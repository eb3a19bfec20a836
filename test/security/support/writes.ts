import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

// PartiQL statements may write: counted as writes, so they can only cause more checks.
const WRITE = /^((Put|Update|Delete|TransactWrite|BatchWrite)(Item|Items)?|ExecuteStatement|ExecuteTransaction|BatchExecuteStatement)Command$/;
let writes = 0;
let installed = false;

/**
 * Counts the DynamoDB writes this test file's process sends, whichever client sends them:
 * every call passes the SDK's base client `send` (document and raw clients alike). A
 * request during which the count did not move cannot have changed the table, so a
 * check of the table after it can be skipped without weakening it.
 */
export function writeCounter(): () => number {
  if (!installed) {
    installed = true;
    const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: (...args: any[]) => Promise<unknown> };
    const send = base.send;
    base.send = function counted(this: unknown, command: { constructor: { name: string } }, ...rest: unknown[]) {
      if (WRITE.test(command.constructor.name)) writes += 1;
      return (send as any).call(this, command, ...rest);
    };
  }
  return () => writes;
}
