/**
 * What the console is told at start (`config.json` beside it) and the headers it is served
 * with: one definition for `npm start` and for the CDK stack, so both serve it alike.
 */

/** What the console reads from `/console/config.json` (console/src/config.ts). */
export interface ConsoleSettings {
  /** The OpenID provider's issuer. */
  issuer: string;
  clientId: string;
  /** Scopes to ask for, space-separated. */
  scope: string;
  /** How the API's audience is asked for, when the provider needs it asked: `resource` (RFC 8707) or `audience`. */
  audienceParameter?: 'resource' | 'audience';
  audience?: string;
  /**
   * Which token to send the API: the access token (default) or, for providers whose access tokens lack `aud`, the ID
   * token.
   */
  bearer?: 'access_token' | 'id_token';
}

/**
 * The console's Content Security Policy: its own scripts and styles only, and requests to
 * itself (the API) and to the identity provider (discovery and the token endpoint).
 */
export function consoleCsp(providerOrigins: string[]): string {
  const connect = ["'self'", ...providerOrigins].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(providerOrigins: string[]): Record<string, string> {
  return {
    'Content-Security-Policy': consoleCsp(providerOrigins),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}
