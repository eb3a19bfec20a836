import type { ConsoleSettings } from '../../infra/console-settings.js';

/**
 * Where the console signs in, read at start from `config.json` beside it: `npm start`
 * serves one for its local provider, the CDK stack deploys one from its context values.
 * One definition for the three (infra/console-settings.ts).
 */
export type ConsoleConfig = ConsoleSettings;

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-cache' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = (await response.json()) as Partial<ConsoleConfig>;
  if (!config.issuer || !config.clientId) throw new Error('config.json names no identity provider (issuer, clientId)');
  return { scope: 'openid', ...config } as ConsoleConfig;
}
