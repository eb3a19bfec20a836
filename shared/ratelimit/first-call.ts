/**
 * An AWS SDK client that is built on its first call instead of at init: the functions that
 * queue key changes or call API Gateway build only the table's client when they start, and
 * the first call that needs this one pays for loading its SDK and building it, once per
 * container.
 */
export function builtOnFirstCall<C extends { send(...args: never[]): unknown }>(
  build: () => C | Promise<C>,
): Pick<C, 'send'> {
  let client: Promise<C> | undefined;
  const send = async (...args: never[]) => {
    // A build that failed is tried again by the next call, not kept.
    client ??= Promise.resolve()
      .then(build)
      .catch((error: unknown) => {
        client = undefined;
        throw error;
      });
    const built = await client;
    return built.send(...args);
  };
  // The SDK's `send` is overloaded (a callback form too, which nothing here uses); the promise form is the one kept.
  return { send: send as unknown as C['send'] };
}
