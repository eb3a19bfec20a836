import { parseArgs } from 'node:util';
import { devAccessToken, SignInRefusedError } from './dev-token-client.js';
import { chooseServer, NoServerError, runningServers, serverOrigin } from './servers.js';

/**
 * `npm run -s dev-token -- [--url <npm start>] <userId>`: signs the user in at an
 * `npm start`'s OpenID provider and prints the access token (a JWT for the API, valid an
 * hour), and nothing else on stdout: which provider it asked goes to stderr, so that
 * `JWT=$(npm run -s dev-token -- alice)` captures only the JWT. The provider is the one of
 * the `npm start` at `--url`, else `JWT_ISSUER` when set, else the one of the only
 * `npm start` running in this folder.
 */
const usage = "Usage: npm run -s dev-token -- [--url <npm start's address>] <userId>";

let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { url: { type: 'string' } } });
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
const [userId, ...rest] = parsed.positionals;
if (!userId || rest.length > 0) {
  console.error(usage);
  process.exit(2);
}

/** The provider to ask, and how it was found, in words. */
function provider(url: string | undefined): { issuer: string; via: string } {
  if (url !== undefined) {
    const origin = serverOrigin(url);
    const server = runningServers().find((running) => serverOrigin(running.url) === origin);
    // Another folder's npm start will do as well: only its provider is needed.
    return server
      ? { issuer: server.issuer, via: `npm start at ${server.url}` }
      : { issuer: `${origin}/oidc`, via: '--url' };
  }
  if (process.env.JWT_ISSUER) return { issuer: process.env.JWT_ISSUER, via: 'JWT_ISSUER' };
  const server = chooseServer();
  return { issuer: server.issuer, via: `npm start at ${server.url}` };
}

let issuer: string | undefined;
try {
  const found = provider(parsed.values.url);
  issuer = found.issuer;
  const jwt = await devAccessToken(issuer, userId);
  console.error(`dev-token: ${userId} signed in at ${issuer} (${found.via})`);
  process.stdout.write(`${jwt}\n`);
} catch (error) {
  if (error instanceof NoServerError) {
    console.error(`dev-token: ${error.message}`);
  } else if (error instanceof SignInRefusedError) {
    console.error(`dev-token: sign-in refused for ${userId}: ${error.message}`);
  } else if ((error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') {
    console.error(`dev-token: no OpenID provider at ${issuer}: start the service first (npm start)`);
  } else {
    console.error(`dev-token: ${(error as Error).message}`);
  }
  process.exit(1);
}
