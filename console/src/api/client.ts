import createClient from 'openapi-fetch';
import { ApiError, type Problem, parseRetryAfter } from '../problems.js';
import type { components, paths } from './schema.js';

/**
 * The API client, typed from the OpenAPI document (openapi-typescript + openapi-fetch):
 * every path, parameter and answer the console uses is checked against the contract at
 * build time. Calls go to the console's own origin (the API is behind the same host).
 */
export type Schemas = components['schemas'];
export type Token = Schemas['Token'];
export type CreatedToken = Schemas['CreatedToken'];
export type WhoAmI = Schemas['WhoAmI'];
export type Member = Schemas['Member'];
export type User = Schemas['User'];
export type RotatedToken = Schemas['RotatedToken'];
export type TokenEvent = Schemas['TokenEventList']['events'][number];
export type FederationPolicy = Schemas['FederationPolicy'];
export type NewFederationPolicy = Schemas['CreateFederationPolicyBody'];
export type PolicyTest = Schemas['FederationPolicyTest'];

export type Api = ReturnType<typeof createApi>;

/**
 * A client that sends `bearer()` with every call and tells `onUnauthorized` when the API
 * refuses it (an expired or revoked session).
 */
export function createApi(bearer: () => string | undefined, onUnauthorized: () => void) {
  const client = createClient<paths>({ baseUrl: location.origin });
  client.use({
    onRequest({ request }) {
      const token = bearer();
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) onUnauthorized();
      return response;
    },
  });
  return client;
}

/**
 * The answer of a call, or an ApiError carrying its problem and Retry-After. A call that
 * never reached the API is an ApiError with status 0.
 */
export async function answer<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiError(0, undefined, undefined);
  }
  const { data, error, response } = result;
  if (response.ok) return data as T;
  const problem = typeof error === 'object' && error !== null ? (error as Problem) : undefined;
  throw new ApiError(response.status, problem, parseRetryAfter(response.headers.get('Retry-After')));
}

/** The token paths of an account, as the route that reached it: domain or admin. */
export type AccountScope = { scope: 'domain'; domain: string; userId: string } | { scope: 'admin'; userId: string };
