/** The SDK client's `send`, as the benchmark's server process wraps it. */
export type Send = (this: unknown, command: object, ...rest: unknown[]) => Promise<unknown>;

const READS = new Set(['GetCommand', 'GetItemCommand', 'QueryCommand', 'BatchGetCommand', 'TransactGetCommand']);

/**
 * `--replay`: from the first load round on, each distinct DynamoDB read is sent once
 * and its answer given again from memory (a copy each time), so that a scenario that
 * repeats its reads measures what the server's own code costs a request, without
 * DynamoDB Local's work and its noise. Start-up and the warm-up are real.
 *
 * A write (a token's lastUsedAt, once a minute) changes what the reads would answer: it
 * is sent, and every read is sent again once after it has landed. Kept, a stale
 * lastUsedAt had every later request try its write again (those rounds read 0.01 of the
 * floor).
 */
export function replayer(send: Send) {
  const replayed = new Map<string, unknown>();
  return function replay(client: unknown, command: object, rest: unknown[]): Promise<unknown> {
    if (!READS.has(command.constructor.name)) {
      replayed.clear();
      return send.call(client, command, ...rest).finally(() => replayed.clear());
    }
    const key = `${command.constructor.name} ${JSON.stringify((command as { input?: unknown }).input)}`;
    if (replayed.has(key)) return Promise.resolve(structuredClone(replayed.get(key)));
    return send.call(client, command, ...rest).then((output) => {
      replayed.set(key, output);
      return structuredClone(output);
    });
  };
}
