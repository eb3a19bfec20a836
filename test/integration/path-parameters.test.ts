import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { create as listDomainTokens } from '../../functions/list-domain-tokens.js';
import type { Directory } from '../../shared/directory/directory.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * Ids with characters that URLs encode. API Gateway (REST) passes path parameters to the
 * functions still percent-encoded; the local gateway does the same, and the functions
 * decode them once, so such ids work alike locally and in AWS, and the service's own
 * Location and Link headers name them correctly.
 */
const DOMAIN = 'dømain@eu';
const ACCOUNT = 'sa@ci:build+1';
const OTHER = 'sä-ümlaut';
const enc = encodeURIComponent;
const domainBase = `/api/v1/domains/${enc(DOMAIN)}/auth/service-accounts`;
const adminBase = '/api/v1/auth/service-accounts';

const directory: Directory = {
  domains: [{ id: DOMAIN, authorization: 'ROLE_V1' }],
  users: [
    { id: 'pat', type: 'USER', domains: [DOMAIN], groups: ['g+1'], adminRoles: ['ADMIN'] },
    { id: ACCOUNT, type: 'SERVICE_ACCOUNT', domains: [DOMAIN], groups: ['g+1'], adminRoles: [] },
    { id: OTHER, type: 'SERVICE_ACCOUNT', domains: [DOMAIN], groups: ['g+1'], adminRoles: [] },
  ],
  roles: [{ domain: DOMAIN, name: 'managers', permissions: ['access_token.manage'], users: ['pat'], groups: [] }],
  bundles: [],
};

let api: TestService;
beforeAll(async () => {
  api = await startTestService({ directory });
});
afterAll(async () => api?.stop());

describe('path parameters with characters URLs encode', () => {
  it('serves the whole token lifecycle on the domain path, and names the token correctly in Location', async () => {
    const tokens = `${domainBase}/${enc(ACCOUNT)}/tokens`;
    const created = await api.call('POST', tokens, { as: 'pat', body: { name: 'ci', maxRps: 3 } });
    expect(created.status).toBe(201);
    expect(created.body.serviceAccountId).toBe(ACCOUNT);
    expect(created.headers.get('location')).toBe(`${tokens}/ci`);
    const whoami = await api.call('GET', '/api/v1/auth/whoami', { token: created.body.token });
    expect(whoami.body).toMatchObject({ userId: ACCOUNT, type: 'SERVICE_ACCOUNT' });
    expect(
      (await api.call('GET', tokens, { as: 'pat' })).body.tokens.map((t: { name: string }) => t.name),
    ).toStrictEqual(['ci']);
    expect((await api.call('PATCH', `${tokens}/ci`, { as: 'pat', body: { status: 'SUSPENDED' } })).body.status).toBe(
      'SUSPENDED',
    );
    expect((await api.call('DELETE', `${tokens}/ci`, { as: 'pat' })).status).toBe(204);
  });

  it('serves the admin path and the deprecated create, whose Link names the account correctly', async () => {
    const tokens = `${adminBase}/${enc(OTHER)}/tokens`;
    expect((await api.call('POST', tokens, { as: 'pat', body: { name: 'admin-made' } })).headers.get('location')).toBe(
      `${tokens}/admin-made`,
    );
    const deprecated = await api.call('POST', `${domainBase}/tokens`, {
      as: 'pat',
      body: { name: 'old-way', serviceAccountId: OTHER },
    });
    expect(deprecated.status).toBe(201);
    expect(deprecated.headers.get('link')).toBe(`<${domainBase}/${enc(OTHER)}/tokens>; rel="successor-version"`);
    expect(deprecated.headers.get('location')).toBe(`${domainBase}/${enc(OTHER)}/tokens/old-way`);
  });

  it('treats an id that is not valid percent-encoding as naming nothing, and a malformed token name as invalid', async () => {
    expect((await api.call('GET', `${adminBase}/sa%E0%A4/tokens`, { as: 'pat' })).body.code).toBe(
      'SERVICE_ACCOUNT_NOT_FOUND',
    );
    const badName = await api.call('DELETE', `${adminBase}/${enc(OTHER)}/tokens/x%ZZ`, { as: 'pat' });
    expect(badName.status).toBe(400);
    expect(badName.body.errors).toStrictEqual([{ field: 'name', message: 'is not valid percent-encoding' }]);
  });

  it('decodes the parameters of an event as API Gateway delivers it, still encoded', async () => {
    const handler = listDomainTokens(api.service.runtime);
    const event = {
      httpMethod: 'GET',
      path: `${domainBase}/${enc(ACCOUNT)}/tokens`,
      headers: {},
      pathParameters: { domain: enc(DOMAIN), serviceAccountId: enc(ACCOUNT) },
      queryStringParameters: null,
      requestContext: { authorizer: { userId: 'pat', authenticatedBy: 'JWT', principalId: 'pat' } },
      body: null,
    } as unknown as APIGatewayProxyEvent;
    const answer = await handler(event, {
      awsRequestId: 'r',
      functionName: 'list',
      getRemainingTimeInMillis: () => 10_000,
    } as unknown as Context);
    expect(answer.statusCode).toBe(200);
  });
});
