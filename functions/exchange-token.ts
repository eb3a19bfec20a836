import { exchangeEndpoint } from '../shared/federation/exchange-endpoint.js';
import { subjectTokenVerification } from '../shared/runtime/verification-wiring.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import type { Runtime } from '../shared/runtime/runtime.js';

/** The RFC 8693 token exchange: a CI job's OIDC token for a short-lived access token. */
export const create = (runtime: Runtime) => exchangeEndpoint(runtime);
export const handler = lambdaHandler(create, subjectTokenVerification);
