/**
 * Why a credential did not authenticate, as far as a client may be told. What the
 * presented value alone shows (no credential, a value that is not a well-formed token,
 * `Bearer ` inside X-API-Token) and what only the identity provider's signature can
 * vouch for (a JWT that has expired) are said; whether a well-formed token exists is
 * not: an unknown lookup id, a wrong secret for a real one, a deleted, suspended,
 * expired, pending or replaced token all get `invalid-token`, so no answer tells an
 * attacker which tokens there are. Every detail is the service's own fixed words.
 */
export type AuthFailure =
  | 'missing'
  | 'bearer-in-api-token'
  | 'malformed-token'
  | 'invalid-token'
  | 'jwt-expired'
  | 'invalid-jwt';

export const AUTH_FAILURE_DETAILS: Record<AuthFailure, string> = {
  missing:
    'A valid access token or bearer JWT is required: send an access token in X-API-Token, ' +
    'or an access token or JWT as Authorization: Bearer <value>.',
  'bearer-in-api-token':
    'X-API-Token takes the token alone: drop the "Bearer " prefix, or send it as Authorization: Bearer <token>.',
  'malformed-token':
    'This is not a well-formed access token (its format or checksum is wrong): check that it was copied whole.',
  'invalid-token':
    'The access token is not valid: it is unknown, or deleted, suspended, expired or replaced ' +
    '(the answer does not say which).',
  'jwt-expired': 'The bearer JWT has expired: get a new one from the identity provider.',
  'invalid-jwt':
    'The bearer JWT is not accepted: it is malformed, or its signature, issuer, audience or user is not valid here.',
};
