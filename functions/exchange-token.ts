import { exchangeEndpoint, type ExchangeEndpointDeps } from '../shared/federation/exchange-endpoint.js';
import { subjectTokenVerification } from '../shared/runtime/verification-wiring.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { federationStores } from '../shared/runtime/stores.js';

/** The RFC 8693 token exchange: a CI job's OIDC token for a short-lived access token. */
export const create = (deps: ExchangeEndpointDeps) => exchangeEndpoint(deps);
export const handler = lambdaHandler(create, federationStores, subjectTokenVerification);
