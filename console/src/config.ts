/**
 * Where the console signs in, read at start from `config.json` beside it: `npm start`
 * serves one for its local provider, the CDK stack deploys one from its context values.
 */
export interface ConsoleConfig {
  /** The OpenID provider's issuer. */
  issuer: string;
  clientId: string;
  /** Scopes, space-separated. */
  scope: string;
  /** How to ask for the API's audience, when the provider needs it asked. */
  audienceParameter?: 'resource' | 'audience';
  audience?: string;
  /** The token sent to the API. */
  bearer?: 'access_token' | 'id_token';
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-cache' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = (await response.json()) as Partial<ConsoleConfig>;
  if (!config.issuer || !config.clientId) throw new Error('config.json names no identity provider (issuer, clientId)');
  return { scope: 'openid', ...config } as ConsoleConfig;
}
