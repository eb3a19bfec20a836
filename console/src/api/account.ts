import {
  type AccountScope,
  type Api,
  answer,
  type FederationPolicy,
  type NewFederationPolicy,
  type PolicyTest,
  type TokenEvent,
} from './client';

/**
 * A service account's audit trail and federation policies, through the paths of the route
 * that reached the account (the domain's or the admin's), as the token paths are.
 */
export interface AccountApi {
  events(query: { cursor?: string; limit: number; tokenName?: string }): Promise<{
    events: TokenEvent[];
    nextToken: string | null;
  }>;
  policies(): Promise<FederationPolicy[]>;
  createPolicy(body: NewFederationPolicy): Promise<FederationPolicy>;
  deletePolicy(policyId: string): Promise<void>;
  testPolicy(policyId: string, subjectToken: string): Promise<PolicyTest>;
}

type EventsQuery = Parameters<AccountApi['events']>[0];
const eventsQuery = ({ cursor, limit, tokenName }: EventsQuery) => ({
  limit,
  ...(cursor ? { nextToken: cursor } : {}),
  ...(tokenName ? { tokenName } : {}),
});

export function accountApi(api: Api, account: AccountScope): AccountApi {
  const serviceAccountId = account.userId;
  if (account.scope === 'domain') {
    const path = { domain: account.domain, serviceAccountId };
    const base = '/api/v1/domains/{domain}/auth/service-accounts/{serviceAccountId}' as const;
    return {
      events: (query) => answer(api.GET(`${base}/token-events`, { params: { path, query: eventsQuery(query) } })),
      policies: async () => (await answer(api.GET(`${base}/federation-policies`, { params: { path } }))).policies,
      createPolicy: (body) => answer(api.POST(`${base}/federation-policies`, { params: { path }, body })),
      deletePolicy: (policyId) =>
        answer(api.DELETE(`${base}/federation-policies/{policyId}`, { params: { path: { ...path, policyId } } })),
      testPolicy: (policyId, subjectToken) =>
        answer(
          api.POST(`${base}/federation-policies/{policyId}/test`, {
            params: { path: { ...path, policyId } },
            body: { subjectToken },
          }),
        ),
    };
  }
  const path = { serviceAccountId };
  const base = '/api/v1/auth/service-accounts/{serviceAccountId}' as const;
  return {
    events: (query) => answer(api.GET(`${base}/token-events`, { params: { path, query: eventsQuery(query) } })),
    policies: async () => (await answer(api.GET(`${base}/federation-policies`, { params: { path } }))).policies,
    createPolicy: (body) => answer(api.POST(`${base}/federation-policies`, { params: { path }, body })),
    deletePolicy: (policyId) =>
      answer(api.DELETE(`${base}/federation-policies/{policyId}`, { params: { path: { ...path, policyId } } })),
    testPolicy: (policyId, subjectToken) =>
      answer(
        api.POST(`${base}/federation-policies/{policyId}/test`, {
          params: { path: { ...path, policyId } },
          body: { subjectToken },
        }),
      ),
  };
}
