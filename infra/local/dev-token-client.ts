import { createHash, randomBytes } from 'node:crypto';
import { API_SCOPE, CLI_CLIENT_ID, CLI_REDIRECT_URI } from './oidc-provider.js';

/**
 * Signs a person in at the local OpenID provider without a browser, through the same
 * Authorization Code flow with PKCE the console uses, and returns the access token:
 *   1 GET  <issuer>/auth?…                 → 303 to the sign-in interaction
 *   2 POST <issuer>/interaction/:uid/login → 303 back to the authorization endpoint
 *   3 GET  <issuer>/auth/:uid              → 303 to the redirect URI, with the code
 *   4 POST <issuer>/token                  → 200, the tokens
 * The sign-in page itself is never fetched: its form is posted directly.
 */
export class SignInRefusedError extends Error {
  override name = 'SignInRefusedError';
}

export async function devAccessToken(issuer: string, userId: string): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const jar = new Map<string, string>();

  const send = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const name = pair.slice(0, pair.indexOf('=')).trim();
      const value = pair.slice(pair.indexOf('=') + 1).trim();
      if (value === '' || /;\s*expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });

  const authorize = new URL(`${issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: CLI_CLIENT_ID,
    response_type: 'code',
    redirect_uri: CLI_REDIRECT_URI,
    scope: `openid ${API_SCOPE}`,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();

  let response = await send(authorize.href);
  let code: string | undefined;
  let signedIn = false;
  for (let hop = 0; hop < 6 && code === undefined; hop++) {
    const location = response.headers.get('location');
    if (response.status !== 303 || location === null) {
      const text = (await response.text())
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
      throw new Error(`the provider answered ${response.status}: ${text.slice(0, 300)}`);
    }
    await response.arrayBuffer();
    const next = new URL(location, issuer);
    if (next.href.startsWith(CLI_REDIRECT_URI)) {
      if (next.searchParams.get('state') !== state) throw new Error('the provider answered with another state');
      const error = next.searchParams.get('error');
      if (error) throw new Error(`${error}: ${next.searchParams.get('error_description') ?? ''}`);
      code = next.searchParams.get('code') ?? undefined;
    } else if (/\/interaction\/[^/]+$/.test(next.pathname) && !signedIn) {
      signedIn = true;
      response = await send(`${next.href}/login`, form({ userId }));
      if (response.status === 400) {
        const message = /role="alert"[^>]*>([^<]*)</.exec(await response.text())?.[1] ?? 'refused';
        throw new SignInRefusedError(message.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))));
      }
    } else {
      response = await send(next.href);
    }
  }
  if (code === undefined) throw new Error('the provider gave no authorization code');

  response = await send(
    `${issuer}/token`,
    form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: CLI_REDIRECT_URI,
      client_id: CLI_CLIENT_ID,
      code_verifier: verifier,
    }),
  );
  const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!response.ok || !body.access_token)
    throw new Error(`token endpoint: ${body.error ?? response.status}: ${body.error_description ?? ''}`);
  return body.access_token;
}
