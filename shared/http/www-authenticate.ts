import type { AuthFailure } from '../kernel/auth-failures.js';

/**
 * The `WWW-Authenticate` challenge of every 401 (RFC 9110 §11.6.1 requires one). Both
 * kinds of credential can be sent as `Authorization: Bearer` (X-API-Token is this API's
 * own header, not an HTTP authentication scheme), so the challenge is RFC 6750's Bearer
 * one. Its values are fixed words of the service, never text from the request: a header
 * must not carry what an attacker wrote.
 */
export const REALM = 'service-account-tokens';

/**
 * RFC 6750 §3's bare challenge: what the gateway's refusals send (the authorizer's Deny, and
 * API Gateway's UNAUTHORIZED), whose header is fixed text whatever the reason.
 */
export const BEARER_CHALLENGE = `Bearer realm="${REALM}"`;

/**
 * RFC 6750 §3.1: a request without a credential gets the bare challenge; a credential
 * that did not authenticate gets `invalid_token` and a short description of why (ASCII,
 * without `"` or `\`, as the RFC's grammar for error_description asks).
 */
const DESCRIPTIONS: Record<Exclude<AuthFailure, 'missing'>, string> = {
  'bearer-in-api-token': 'X-API-Token takes the token alone, without Bearer',
  'malformed-token': 'The access token is malformed',
  'invalid-token': 'The access token is not valid',
  'jwt-expired': 'The JWT has expired',
  'invalid-jwt': 'The JWT is not accepted',
};

export function bearerChallenge(reason: AuthFailure = 'missing'): string {
  if (reason === 'missing') return BEARER_CHALLENGE;
  return `${BEARER_CHALLENGE}, error="invalid_token", error_description="${DESCRIPTIONS[reason]}"`;
}

/**
 * The secret scanning webhook authenticates its caller by a signature, not a bearer
 * credential: its challenge names the header the signature goes in.
 */
export const SIGNATURE_CHALLENGE = 'Github-Public-Key-Signature realm="secret-scanning"';

/** The challenges as the OpenAPI document describes them. */
export const CHALLENGE_DOCS = {
  bearer:
    `RFC 6750 §3: ${BEARER_CHALLENGE}. A credential the authorizer refuses gets this bare challenge (a gateway ` +
    'response, whose header is fixed; the detail says why); one a function refuses also gets ' +
    'error="invalid_token" and an error_description',
  signature: `${SIGNATURE_CHALLENGE}: the report's signature goes in that header`,
};
