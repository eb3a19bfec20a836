import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { keyQueue } from '../shared/ratelimit/wiring.js';
import type { Runtime } from '../shared/runtime/runtime.js';
import { deprecatedCreateTokenEndpoint } from '../shared/tokens/endpoints.js';

/** Deprecated: the service account id comes in the body. Answers with Deprecation and Link headers. */
export const create = (runtime: Runtime) => deprecatedCreateTokenEndpoint(runtime, 'admin');
export const handler = lambdaHandler(create, keyQueue);
