import { readConfig } from '../kernel/config.js';
import { type Base, createBase, type Wiring } from './base.js';

/**
 * A Lambda entry's handler: the base built once, at init, from the function's
 * environment and the wirings it names (`jwtVerification`, `keyQueue`), with the
 * stores its endpoint uses (`stores.ts`); the types hold `create` to what they provide. A
 * missing or malformed setting throws here, so the function fails its init with the
 * variable's name instead of failing some later request.
 *
 * Importing an entry outside Lambda builds a runtime with the local defaults and uses
 * nothing of it: the local gateway and the tests call the entry's `create` with their own.
 */
export function lambdaHandler<S, H>(
  create: (runtime: Base & S) => H,
  stores: (base: Base) => S,
  ...wirings: Wiring[]
): H {
  const base = createBase(readConfig(process.env), {}, wirings);
  return create({ ...base, ...stores(base) });
}
