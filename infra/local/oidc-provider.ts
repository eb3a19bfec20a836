import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { type Configuration, errors, type JWK, type KoaContextWithOIDC } from 'oidc-provider';
import type { DirectoryStore } from '../../shared/directory/ports.js';
import { memoryAdapter } from './oidc-adapter.js';
import { errorPage, loginPage, logoutPage, signedOutPage } from './oidc-pages.js';

/**
 * The local identity provider of `npm start`: oidc-provider (an OpenID-certified
 * implementation) mounted at `/oidc` on the local gateway. Its people are the directory's
 * users of type USER; its sign-in page asks only for a user id. It issues RFC 9068 JWT
 * access tokens for the API (audience = the API's configured audience), which the
 * authorizer verifies as it verifies any identity provider's, through the provider's JWKS.
 *
 * Clients: the console (Authorization Code with PKCE, in the browser) and `npm run
 * dev-token` (the same flow, driven without a browser). Both are first-party, so consent
 * is never asked. And a CI system's stand-in, `local-ci`, whose jobs get their OIDC token
 * by client credentials, to try federation locally: its tokens are for the API's address
 * (`aud`), never for the API's audience, so the authorizer never takes one for a person's.
 */
export const OIDC_PATH = '/oidc';
export const CONSOLE_CLIENT_ID = 'console';
export const CLI_CLIENT_ID = 'dev-token';
/** Never contacted: dev-token reads the code from the redirect's Location. */
export const CLI_REDIRECT_URI = 'http://127.0.0.1/dev-token/callback';
/** The API's scope; a token asked for with it (or with no resource) is for the API. */
export const API_SCOPE = 'api';
/** The CI stand-in: a public client (like every client here) allowed client credentials only. */
export const CI_CLIENT_ID = 'local-ci';
const ACCESS_TOKEN_TTL = 3600;
/** A CI job's token lives about as long as GitHub's. */
const CI_TOKEN_TTL = 300;
const HINTED_PEOPLE = 12;

export interface LocalOidcOptions {
  /** The gateway's base URL (`http://127.0.0.1:3000`); the issuer is this plus `/oidc`. */
  baseUrl: string;
  /** `aud` of the access tokens: the API's configured audience. */
  audience: string;
  /** Private signing JWK with `kid` and `alg` (ES256). */
  signingKey: JWK;
  /** Who may sign in: people of the directory, looked up at each sign-in. */
  directory: DirectoryStore;
}

export interface LocalOidcProvider {
  issuer: string;
  jwksUrl: string;
  /** The console's sign-in callback and sign-out return addresses. */
  consoleRedirectUris: string[];
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/** The console may be opened as 127.0.0.1 or localhost: both are registered. */
function consoleUris(baseUrl: string): string[] {
  const url = new URL('/console/', baseUrl);
  const other = new URL(url);
  other.hostname = url.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  return [url.href, other.href];
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16_384) throw new errors.InvalidRequest('form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
  });
  res.end(html);
}

/**
 * First-party clients never see a consent page: the session's grant is reused, widened to
 * what each request asks for (OpenID scopes and the API's scope).
 */
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(oidc.client!.clientId);
  const grant =
    (grantId && (await oidc.provider.Grant.find(grantId))) ||
    new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId! });
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    grant.addResourceScope(
      indicator,
      [...oidc.requestParamScopes].filter((scope) => server.scopes.has(scope)).join(' '),
    );
  }
  await grant.save();
  return grant;
}

export function createLocalOidcProvider(options: LocalOidcOptions): LocalOidcProvider {
  const issuer = `${options.baseUrl}${OIDC_PATH}`;
  const alg = options.signingKey.alg as 'ES256';
  // A resource indicator must be an absolute URI; the token's `aud` is the API's audience.
  const apiResource = `${options.baseUrl}/api`;
  const redirectUris = consoleUris(options.baseUrl);
  // Cookie signing key derived from the private key: stable across restarts, no extra file.
  const cookieKey = createHash('sha256')
    .update(`oidc-cookies:${String(options.signingKey.d)}`)
    .digest('base64url');
  const isPerson = async (id: string) => (await options.directory.getPrincipal(id))?.type === 'USER';

  const configuration: Configuration = {
    adapter: memoryAdapter(),
    jwks: { keys: [options.signingKey] },
    cookies: { keys: [cookieKey] },
    clients: [
      {
        client_id: CONSOLE_CLIENT_ID,
        client_name: 'Service account tokens console',
        application_type: 'web',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: redirectUris,
        post_logout_redirect_uris: redirectUris,
      },
      {
        client_id: CLI_CLIENT_ID,
        // 'native' would force a consent interaction on every sign-in.
        application_type: 'web',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [CLI_REDIRECT_URI],
      },
      {
        client_id: CI_CLIENT_ID,
        client_name: 'CI jobs (local stand-in)',
        token_endpoint_auth_method: 'none',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    // The keystore is ES256 only; ID tokens would otherwise default to RS256 and fail.
    clientDefaults: { id_token_signed_response_alg: alg },
    responseTypes: ['code'],
    scopes: ['openid', API_SCOPE],
    claims: { openid: ['sub'] },
    async findAccount(_ctx, sub) {
      if (!(await isPerson(sub))) return undefined;
      return { accountId: sub, claims: async () => ({ sub }) };
    },
    interactions: { url: async (_ctx, interaction) => `${OIDC_PATH}/interaction/${interaction.uid}` },
    loadExistingGrant,
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // Signing out of the console ends the provider's session too, without asking.
        async logoutSource(ctx, form) {
          ctx.body = logoutPage(form);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = signedOutPage();
        },
      },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, client, oneOf) =>
          oneOf ?? (client.clientId === CI_CLIENT_ID ? options.baseUrl : apiResource),
        // A code exchange without `resource` (the console's, dev-token's) still yields the API's JWT.
        useGrantedResource: async () => true,
        async getResourceServerInfo(_ctx, indicator, client) {
          // A CI job's token names the API's address, as GitHub's name the audience a job asks for.
          if (client.clientId === CI_CLIENT_ID) {
            if (indicator !== options.baseUrl) throw new errors.InvalidTarget();
            return {
              scope: 'ci',
              audience: options.baseUrl,
              accessTokenFormat: 'jwt',
              accessTokenTTL: CI_TOKEN_TTL,
              jwt: { sign: { alg } },
            };
          }
          if (indicator !== apiResource) throw new errors.InvalidTarget();
          return {
            scope: API_SCOPE,
            audience: options.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: ACCESS_TOKEN_TTL,
            jwt: { sign: { alg } },
          };
        },
      },
    },
    pkce: { required: () => true },
    // The library's default, without the notice it prints when left unset.
    clientBasedCORS(_ctx, origin, client) {
      return client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false;
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage(
        'Sign-in failed',
        Object.fromEntries(Object.entries(out).map(([name, value]) => [name, String(value)])),
      );
    },
    // Explicit lifetimes: the library prints a notice for each one left to its default.
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL,
      ClientCredentials: CI_TOKEN_TTL,
      AuthorizationCode: 60,
      IdToken: ACCESS_TOKEN_TTL,
      Interaction: 3600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  async function people(): Promise<string[]> {
    const { items } = await options.directory.listUsers(100);
    return items
      .filter((user) => user.type === 'USER')
      .slice(0, HINTED_PEOPLE)
      .map((user) => user.id);
  }

  /** The sign-in interaction: a form asking for a user id, and its answer. */
  async function interaction(
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    action: string | undefined,
  ): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
    const form = { action: `${OIDC_PATH}/interaction/${uid}/login`, clientId: String(details.params.client_id) };
    if (req.method === 'GET' && action === undefined)
      return send(res, 200, loginPage({ ...form, people: await people() }));
    if (req.method !== 'POST' || action !== 'login')
      return send(res, 405, errorPage('Not allowed', { method: String(req.method) }));
    const userId = ((await readForm(req)).get('userId') ?? '').trim();
    const principal = userId === '' ? undefined : await options.directory.getPrincipal(userId);
    let refusal: string | undefined;
    if (userId === '') refusal = 'Enter a user id.';
    else if (!principal) refusal = `No one in the directory has the user id “${userId}”.`;
    else if (principal.type !== 'USER') {
      const how = 'service accounts authenticate with access tokens, not by signing in';
      refusal = `“${userId}” is a service account: ${how}.`;
    }
    if (refusal) return send(res, 400, loginPage({ ...form, error: refusal, value: userId, people: await people() }));
    await provider.interactionFinished(req, res, { login: { accountId: userId } }, { mergeWithLastSubmission: false });
  }

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    consoleRedirectUris: redirectUris,
    handle(req, res) {
      // Mounted as Express would mount it: the provider sees paths under its issuer, and
      // finds the mount path in `originalUrl`.
      const original = req.url ?? '/';
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = original;
      req.url = original.slice(OIDC_PATH.length) || '/';
      const match = /^\/interaction\/([\w-]+)(?:\/(login))?\/?(?:\?.*)?$/.exec(req.url);
      if (!match) return void callback(req, res);
      interaction(req, res, match[1]!, match[2]).catch((error: unknown) => {
        const status = error instanceof errors.OIDCProviderError ? error.statusCode : 500;
        const message =
          error instanceof errors.OIDCProviderError ? (error.error_description ?? error.message) : 'unexpected error';
        if (!res.headersSent) send(res, status, errorPage('Sign-in failed', { reason: String(message) }));
        else res.end();
      });
    },
  };
}
