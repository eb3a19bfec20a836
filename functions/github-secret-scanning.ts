import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import type { Runtime } from '../shared/runtime/runtime.js';
import { githubSecretScanningEndpoint } from '../shared/scanning/endpoint.js';

/** GitHub's secret scanning reports leaked tokens here; live ones are suspended. */
export const create = (runtime: Runtime) => githubSecretScanningEndpoint(runtime);
export const handler = lambdaHandler(create);
