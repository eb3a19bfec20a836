/**
 * JWT verification (jose and `auth/jwt.ts`) for the authorizer's first JWT: a file of its
 * own beside the bundle (`SDK_MODULES` in `infra/cdk/bundling.ts`), so that the access-token
 * path, the hot one, neither evaluates nor parses it. `.mjs`, so that it is ESM whatever
 * `package.json` lies near.
 */
export { createJwtVerifier } from '../auth/jwt.js';
