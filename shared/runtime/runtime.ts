import type { Config } from '../kernel/config.js';
import { type Base, createBase, type RuntimeParts, type Wiring } from './base.js';
import { allStores } from './stores.js';

export type { RuntimeParts, Wiring } from './base.js';

/**
 * The composition root: every client, store and adapter, built once from configuration.
 * A Lambda entry builds only the base and the stores its endpoint uses (`lambdaHandler`);
 * the local gateway, the scripts and the tests build this whole runtime, with any part
 * replaced. Building it does no I/O.
 */
export type Runtime = Base & ReturnType<typeof allStores>;

export function createRuntime(config: Config, parts: RuntimeParts = {}, wirings: Wiring[] = []): Runtime {
  const base = createBase(config, parts, wirings);
  return { ...base, ...allStores(base) };
}
