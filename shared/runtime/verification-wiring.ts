import type { Wiring } from './base.js';
import type { SubjectTokenVerifier } from '../federation/ports.js';

/**
 * The wiring of the functions that verify CI subject tokens (the exchange, the policy
 * test). jose and the issuers' key caches are loaded on first use and kept for the
 * container's life: a warm exchange fetches nothing while its issuer's keys are cached.
 * What the issuers may be fetched from is the deployment's: public https hosts, and
 * loopback only where the configuration allows it (local development).
 */
export const subjectTokenVerification: Wiring = (config) => {
  let verifier: Promise<SubjectTokenVerifier> | undefined;
  return {
    verifySubjectToken: async (jwt, issuer, now, options) => {
      const rules = config.federation.issuers;
      verifier ??= import('../federation/issuer-keys.js').then(({ createIssuerKeyVerifier }) =>
        createIssuerKeyVerifier({ rules }),
      );
      return (await verifier)(jwt, issuer, now, options);
    },
  };
};
