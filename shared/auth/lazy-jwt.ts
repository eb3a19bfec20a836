import type { JwtSettings, JwtVerifier } from './jwt.js';

/**
 * A JWT verifier that loads jose (and builds its JWKS cache) on the first JWT it sees.
 * Bundled into the same file, the dynamic import only defers evaluation: a container that
 * serves access tokens alone never evaluates jose.
 */
export function lazyJwtVerifier(settings: JwtSettings): JwtVerifier {
  let verifier: Promise<JwtVerifier> | undefined;
  return async (jwt) => {
    verifier ??= import('./jwt.js').then(({ createJwtVerifier }) => createJwtVerifier(settings));
    return (await verifier)(jwt);
  };
}
