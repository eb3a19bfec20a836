import type { Wiring } from '../runtime.js';
import type { SubjectTokenVerifier } from './subject-token.js';

/**
 * The wiring of the functions that verify CI subject tokens (the exchange, the policy
 * test). jose and the issuers' key caches are loaded on first use and kept for the
 * container's life: a warm exchange fetches nothing while its issuer's keys are cached.
 */
export const subjectTokenVerification: Wiring = () => {
  let verifier: Promise<SubjectTokenVerifier> | undefined;
  return {
    verifySubjectToken: async (jwt, issuer, now) => {
      verifier ??= import('./issuer-keys.js').then(({ createIssuerKeyVerifier }) => createIssuerKeyVerifier());
      return (await verifier)(jwt, issuer, now);
    },
  };
};
