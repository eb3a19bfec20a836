import { createAuthorizer } from '../shared/auth/authorizer.js';
import { jwtVerification } from '../shared/runtime/jwt-wiring.js';
import { lambdaHandler } from '../shared/runtime/lambda-entry.js';
import { authenticationStores } from '../shared/runtime/stores.js';

/** REQUEST authorizer of every authenticated route: access tokens and OIDC JWTs. */
export const create = createAuthorizer;
export const handler = lambdaHandler(create, authenticationStores, jwtVerification);
