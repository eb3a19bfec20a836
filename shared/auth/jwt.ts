import { createRemoteJWKSet, jwtVerify } from 'jose';

/** JWT verification with jose, loaded by the authorizer on the first JWT (`jwt-wiring.ts`). */
export interface JwtSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
  userClaim: string;
}

/** Verifies a JWT and returns the user it names; throws on anything wrong. */
export type JwtVerifier = (jwt: string) => Promise<string>;

/** Clock skew allowed between the identity provider and this service. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** Asymmetric algorithms only: `none` and HMAC (whose key would be the JWKS itself) never verify. */
const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export function createJwtVerifier(settings: JwtSettings): JwtVerifier {
  const jwks = createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  return async (jwt) => {
    const { payload } = await jwtVerify(jwt, jwks, {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: JWT_ALGORITHMS,
      requiredClaims: ['exp', settings.userClaim],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    // jose checks iat only against a maximum age; a JWT issued in the future is refused here.
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS)
      throw new Error('JWT issued in the future');
    const user = payload[settings.userClaim];
    if (typeof user !== 'string' || user === '') throw new Error('JWT has no usable user claim');
    return user;
  };
}
