import { readConfig } from '../kernel/config.js';
import { createRuntime, type Runtime, type Wiring } from './runtime.js';

/**
 * A Lambda entry's handler: the runtime built once, at init, from the function's
 * environment and the wirings it names (`jwtVerification`, `keyQueue`). A missing
 * or malformed setting throws here, so the function fails its init with the variable's
 * name instead of failing some later request.
 *
 * Importing an entry outside Lambda builds a runtime with the local defaults and uses
 * nothing of it: the local gateway and the tests call the entry's `create` with their own.
 */
export function lambdaHandler<H>(create: (runtime: Runtime) => H, ...wirings: Wiring[]): H {
  return create(createRuntime(readConfig(process.env), {}, wirings));
}
