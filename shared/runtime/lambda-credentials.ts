/** Credentials as the SDK's providers answer them. */
interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
  credentialScope?: string;
  accountId?: string;
}
type CredentialProvider = (properties?: Record<string, unknown>) => Promise<Credentials>;

/**
 * What a bundled function's AWS clients get for `@aws-sdk/credential-provider-node`'s
 * `defaultProvider` (esbuild's `alias`, `infra/cdk/bundling.ts`). Lambda gives a function
 * its execution role's credentials in its environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN:
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * the first place the SDK's chain looks, read here as the chain reads them. The rest of the
 * chain (profiles, SSO, web identity, process, the container and instance metadata
 * endpoints: about a quarter of the authorizer's bundle, with the STS and SSO clients they
 * use) is `credential-chain.mjs`, a file beside the bundle, imported only when the
 * environment has no credentials, or names a profile (which the SDK's chain prefers).
 */
export function defaultProvider(init: { profile?: string } = {}): CredentialProvider {
  let chain: Promise<CredentialProvider> | undefined;
  let kept: Credentials | undefined;
  return async (properties) => {
    // Kept as the SDK's chain keeps them: until a refresh is forced or they near their expiry.
    if (kept && !properties?.forceRefresh && !nearExpiry(kept)) return kept;
    kept = environmentCredentials(init);
    if (kept) return kept;
    // The chain keeps what it finds itself; a failed load is tried again by the next call, not remembered.
    if (!chain) {
      chain = import('./credential-chain.mjs').then((loaded) => loaded.defaultProvider(init) as CredentialProvider);
      chain.catch(() => (chain = undefined));
    }
    return (await chain)(properties);
  };
}

/** The chain's own rule: credentials within five minutes of their expiry are read again. */
const nearExpiry = ({ expiration }: Credentials) =>
  expiration !== undefined && expiration.getTime() - Date.now() < 300_000;

/** The environment's credentials, unless it has none or names a profile. */
function environmentCredentials(init: { profile?: string }): Credentials | undefined {
  const { env } = process;
  const [accessKeyId, secretAccessKey] = [env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY];
  if (!accessKeyId || !secretAccessKey || (init.profile ?? env.AWS_PROFILE)) return undefined;
  const { AWS_SESSION_TOKEN: sessionToken, AWS_CREDENTIAL_EXPIRATION: expiry } = env;
  const { AWS_CREDENTIAL_SCOPE: credentialScope, AWS_ACCOUNT_ID: accountId } = env;
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken && { sessionToken }),
    ...(expiry && { expiration: new Date(expiry) }),
    ...(credentialScope && { credentialScope }),
    ...(accountId && { accountId }),
  };
}
