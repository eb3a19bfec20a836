import { readFileSync } from 'node:fs';
import { LOCAL_DEFAULTS } from '../../shared/kernel/config.js';
import { devAccessToken, SignInRefusedError } from './dev-token-client.js';
import { RUNTIME_FILE } from './paths.js';

/**
 * `npm run -s dev-token -- <userId>`: signs the user in at the running `npm start`'s
 * OpenID provider and prints the access token (a JWT for the API, valid an hour), and
 * nothing else. The provider is `JWT_ISSUER` when set, else the one the running
 * `npm start` announced, else the default port's.
 */
const userId = process.argv[2];
if (!userId || process.argv.length > 3) {
  console.error('Usage: npm run -s dev-token -- <userId>');
  process.exit(2);
}

function announcedIssuer(): string | undefined {
  try {
    return (JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')) as { issuer?: string }).issuer;
  } catch {
    return undefined;
  }
}

const issuer = process.env.JWT_ISSUER || announcedIssuer() || LOCAL_DEFAULTS.JWT_ISSUER;
try {
  process.stdout.write(`${await devAccessToken(issuer, userId)}\n`);
} catch (error) {
  if (error instanceof SignInRefusedError) {
    console.error(`dev-token: sign-in refused for ${userId}: ${error.message}`);
  } else if ((error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') {
    console.error(`dev-token: no OpenID provider at ${issuer}: start the service first (npm start)`);
  } else {
    console.error(`dev-token: ${(error as Error).message}`);
  }
  process.exit(1);
}
