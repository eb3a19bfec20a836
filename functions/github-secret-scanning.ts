import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { scanningStores } from '../shared/runtime/stores.js';
import { githubSecretScanningEndpoint, type ScanningEndpointDeps } from '../shared/scanning/endpoint.js';

/** GitHub's secret scanning reports leaked tokens here; live ones are suspended. */
export const create = (deps: ScanningEndpointDeps) => githubSecretScanningEndpoint(deps);
export const handler = lambdaHandler(create, scanningStores);
