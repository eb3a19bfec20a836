import * as oauth from 'oauth4webapi';
import type { ConsoleConfig } from './config';

/**
 * Sign-in with the configured OpenID provider: Authorization Code with PKCE, in the
 * browser, with oauth4webapi (a public client: no secret). The session (the token the API
 * accepts, and the ID token for signing out) is kept in sessionStorage: this tab only,
 * gone when it closes, and never sent anywhere but the API. The page's Content Security
 * Policy allows only its own scripts.
 */
const SESSION = 'console.session';
const PENDING = 'console.sign-in';
/** A token this close to expiry is not used: a call made with it could fail half-way. */
const EXPIRY_MARGIN_MS = 30_000;

export interface Session {
  /** What the API is called with. */
  bearer: string;
  idToken: string | undefined;
  expiresAt: number;
}

interface PendingSignIn {
  state: string;
  verifier: string;
  nonce: string;
  /** Where the person was going: the hash route, restored after sign-in. */
  returnTo: string;
}

/** The console's own address, where the provider sends people back (registered with it). */
export function redirectUri(): string {
  return `${location.origin}${location.pathname}`;
}

function read<T>(key: string): T | undefined {
  try {
    const raw = sessionStorage.getItem(key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  } catch {
    return undefined;
  }
}

export class Auth {
  private server: Promise<oauth.AuthorizationServer> | undefined;
  private readonly client: oauth.Client;
  private readonly options: { [oauth.allowInsecureRequests]?: boolean };

  constructor(private readonly config: ConsoleConfig) {
    this.client = { client_id: config.clientId };
    // Plain HTTP only for a provider on this machine (npm start's); anywhere else, HTTPS.
    const { protocol, hostname } = new URL(config.issuer);
    this.options =
      protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(hostname)
        ? { [oauth.allowInsecureRequests]: true }
        : {};
  }

  private discover(): Promise<oauth.AuthorizationServer> {
    const issuer = new URL(this.config.issuer);
    this.server ??= oauth
      .discoveryRequest(issuer, { algorithm: 'oidc', ...this.options })
      .then((response) => oauth.processDiscoveryResponse(issuer, response))
      .catch((error: unknown) => {
        this.server = undefined;
        throw error;
      });
    return this.server;
  }

  /** The current session, unless it has expired. */
  session(): Session | undefined {
    const session = read<Session>(SESSION);
    if (!session || session.expiresAt - EXPIRY_MARGIN_MS <= Date.now()) return undefined;
    return session;
  }

  /** Goes to the provider's sign-in; back here at `returnTo` (a hash route) afterwards. */
  async signIn(returnTo: string): Promise<void> {
    const server = await this.discover();
    const pending: PendingSignIn = {
      state: oauth.generateRandomState(),
      verifier: oauth.generateRandomCodeVerifier(),
      nonce: oauth.generateRandomNonce(),
      returnTo,
    };
    sessionStorage.setItem(PENDING, JSON.stringify(pending));
    const url = new URL(server.authorization_endpoint!);
    const params: Record<string, string> = {
      client_id: this.config.clientId,
      redirect_uri: redirectUri(),
      response_type: 'code',
      scope: this.config.scope,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
    };
    if (this.config.audienceParameter && this.config.audience)
      params[this.config.audienceParameter] = this.config.audience;
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    location.assign(url.href);
  }

  /** Whether this page load is the provider sending someone back. */
  isCallback(): boolean {
    const query = new URLSearchParams(location.search);
    return (query.has('code') || query.has('error')) && query.has('state');
  }

  /**
   * Completes a sign-in the provider sent back: checks state, exchanges the code with its
   * PKCE verifier, validates the ID token, keeps the session. Returns where to go.
   */
  async completeSignIn(): Promise<string> {
    const pending = read<PendingSignIn>(PENDING);
    sessionStorage.removeItem(PENDING);
    if (!pending) throw new Error('This sign-in was not started here, or was already used. Sign in again.');
    const server = await this.discover();
    const params = oauth.validateAuthResponse(server, this.client, new URL(location.href), pending.state);
    const response = await oauth.authorizationCodeGrantRequest(
      server,
      this.client,
      oauth.None(),
      params,
      redirectUri(),
      pending.verifier,
      this.options,
    );
    const result = await oauth.processAuthorizationCodeResponse(server, this.client, response, {
      expectedNonce: pending.nonce,
      requireIdToken: true,
    });
    const bearer = this.config.bearer === 'id_token' ? result.id_token! : result.access_token;
    const claims = oauth.getValidatedIdTokenClaims(result);
    const lifetime = result.expires_in ?? (claims ? claims.exp - claims.iat : 300);
    const session: Session = { bearer, idToken: result.id_token, expiresAt: Date.now() + lifetime * 1000 };
    sessionStorage.setItem(SESSION, JSON.stringify(session));
    return pending.returnTo;
  }

  /** Forgets the session here, without leaving the page (an expired or refused token). */
  forget(): void {
    sessionStorage.removeItem(SESSION);
  }

  /** Signs out here and, when the provider supports it, there too; back at the console. */
  async signOut(): Promise<void> {
    const idToken = read<Session>(SESSION)?.idToken;
    this.forget();
    let server: oauth.AuthorizationServer | undefined;
    try {
      server = await this.discover();
    } catch {
      server = undefined;
    }
    if (!server?.end_session_endpoint) {
      location.assign(redirectUri());
      return;
    }
    const url = new URL(server.end_session_endpoint);
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('post_logout_redirect_uri', redirectUri());
    if (idToken) url.searchParams.set('id_token_hint', idToken);
    location.assign(url.href);
  }
}
