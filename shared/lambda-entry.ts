import { readConfig } from './config.js';
import { createRuntime, type Runtime } from './runtime.js';

/**
 * A Lambda entry's handler: the runtime built once, at init, from the function's
 * environment. A missing or malformed setting throws here, so the function fails its
 * init with the variable's name instead of failing some later request.
 */
export function lambdaHandler<H>(create: (runtime: Runtime) => H): H {
  return create(createRuntime(readConfig(process.env)));
}
