import { type AccountScope, type Api, answer, type CreatedToken, type RotatedToken, type Token } from './client';

/**
 * A service account's tokens, through the paths of the route that reached the account:
 * the domain's (its permission) or the admin's (any admin role). Same interface either way.
 */
export interface TokensApi {
  list(cursor: string | undefined, limit: number): Promise<{ tokens: Token[]; nextToken: string | null }>;
  create(body: { name: string; maxRps?: number | null; expiresAt?: string | null }): Promise<CreatedToken>;
  update(name: string, body: { status?: 'ACTIVE' | 'SUSPENDED'; maxRps?: number | null }): Promise<Token>;
  remove(name: string): Promise<void>;
  /** A new secret; `force` ends a grace period still running (else 409 ROTATION_IN_PROGRESS). */
  rotate(name: string, body: { gracePeriodSeconds?: number; force?: boolean }): Promise<RotatedToken>;
}

export function tokensApi(api: Api, account: AccountScope): TokensApi {
  const serviceAccountId = account.userId;
  const page = (cursor: string | undefined, limit: number) => ({ limit, ...(cursor ? { nextToken: cursor } : {}) });
  if (account.scope === 'domain') {
    const path = { domain: account.domain, serviceAccountId };
    return {
      list: (cursor, limit) =>
        answer(
          api.GET('/api/v1/domains/{domain}/auth/service-accounts/{serviceAccountId}/tokens', {
            params: { path, query: page(cursor, limit) },
          }),
        ),
      create: (body) =>
        answer(
          api.POST('/api/v1/domains/{domain}/auth/service-accounts/{serviceAccountId}/tokens', {
            params: { path },
            body,
          }),
        ),
      update: (name, body) =>
        answer(
          api.PATCH('/api/v1/domains/{domain}/auth/service-accounts/{serviceAccountId}/tokens/{name}', {
            params: { path: { ...path, name } },
            body,
          }),
        ),
      remove: (name) =>
        answer(
          api.DELETE('/api/v1/domains/{domain}/auth/service-accounts/{serviceAccountId}/tokens/{name}', {
            params: { path: { ...path, name } },
          }),
        ),
      rotate: (name, body) =>
        answer(
          api.POST('/api/v1/domains/{domain}/auth/service-accounts/{serviceAccountId}/tokens/{name}/rotate', {
            params: { path: { ...path, name } },
            body,
          }),
        ),
    };
  }
  const path = { serviceAccountId };
  return {
    list: (cursor, limit) =>
      answer(
        api.GET('/api/v1/auth/service-accounts/{serviceAccountId}/tokens', {
          params: { path, query: page(cursor, limit) },
        }),
      ),
    create: (body) =>
      answer(api.POST('/api/v1/auth/service-accounts/{serviceAccountId}/tokens', { params: { path }, body })),
    update: (name, body) =>
      answer(
        api.PATCH('/api/v1/auth/service-accounts/{serviceAccountId}/tokens/{name}', {
          params: { path: { ...path, name } },
          body,
        }),
      ),
    remove: (name) =>
      answer(
        api.DELETE('/api/v1/auth/service-accounts/{serviceAccountId}/tokens/{name}', {
          params: { path: { ...path, name } },
        }),
      ),
    rotate: (name, body) =>
      answer(
        api.POST('/api/v1/auth/service-accounts/{serviceAccountId}/tokens/{name}/rotate', {
          params: { path: { ...path, name } },
          body,
        }),
      ),
  };
}
