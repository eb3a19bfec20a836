import { importJWK, type JWK, SignJWT } from 'jose';
import { ISSUER_KEY_ALG, issuerSigningKey } from '../../infra/local/issuer-key.js';

/**
 * JWTs the local OpenID provider would never issue (expired, for a service account, with
 * a wrong audience…), signed with its own key so that only the claim under test is wrong.
 * Tests get ordinary JWTs from the provider itself (`TestService.jwt`).
 */
export async function issuerKey(): Promise<JWK> {
  return issuerSigningKey();
}

export interface CraftedClaims {
  issuer: string;
  audience?: string;
  expiresAt?: number;
  notBefore?: number;
  issuedAt?: number;
  userClaim?: string;
}

/** A JWT for `userId` with the provider's key, valid for an hour unless told otherwise. */
export async function craftJwt(userId: string, claims: CraftedClaims): Promise<string> {
  const jwk = await issuerKey();
  const key = await importJWK(jwk, ISSUER_KEY_ALG);
  const userClaim = claims.userClaim ?? 'sub';
  return new SignJWT(userClaim === 'sub' ? {} : { [userClaim]: userId })
    .setProtectedHeader({ alg: ISSUER_KEY_ALG, kid: jwk.kid!, typ: 'at+jwt' })
    .setSubject(userId)
    .setIssuer(claims.issuer)
    .setAudience(claims.audience ?? 'service-account-tokens')
    .setIssuedAt(claims.issuedAt)
    .setNotBefore(claims.notBefore ?? Math.floor(Date.now() / 1000) - 5)
    .setExpirationTime(claims.expiresAt ?? '1h')
    .sign(key);
}
