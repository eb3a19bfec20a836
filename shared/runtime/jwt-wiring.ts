import type { Wiring } from './base.js';
import type { JwtVerifier } from '../auth/jwt.js';

/**
 * The wiring of the function that verifies JWTs (the authorizer). jose is loaded on the
 * first JWT, not at init, from a file beside the bundle (`jwt-verifier.mts`): the
 * access-token path, the hot one, never pays for it.
 */
export const jwtVerification: Wiring = (config) => {
  let verifier: Promise<JwtVerifier> | undefined;
  return {
    verifyJwt: async (jwt) => {
      verifier ??= import('./jwt-verifier.mjs').then(({ createJwtVerifier }) => createJwtVerifier(config.jwt));
      return (await verifier)(jwt);
    },
  };
};
