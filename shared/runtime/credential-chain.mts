/**
 * The AWS SDK's whole default credential chain, for a bundled function whose environment
 * holds no credentials (`lambda-credentials.ts`). A file of its own beside the bundle
 * (`SDK_MODULES` in `infra/cdk/bundling.ts`), built without the alias that gives the
 * bundles `lambda-credentials.ts` in its place; `.mjs`, so that it is ESM whatever
 * `package.json` lies near.
 */
export { defaultProvider } from '@aws-sdk/credential-provider-node';
