import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminTokens, domainTokens, startTestService, type TestService } from '../support/service.js';

/**
 * Each rule of docs/directory.md, "Who may manage tokens", with a case that passes and a case that fails, on the
 * example directory (examples/directory.json). The full generated matrix lives with
 * the security tests.
 */
let api: TestService;
let rotatorToken: string;
let etlToken: string;
beforeAll(async () => {
  api = await startTestService();
  rotatorToken = (await api.call('POST', adminTokens('sa-rotator'), { as: 'root', body: { name: 'rotation' } })).body
    .token;
  etlToken = (await api.call('POST', domainTokens('finance', 'sa-etl'), { as: 'alice', body: { name: 'etl' } })).body
    .token;
  expect(rotatorToken && etlToken).toBeTruthy();
});
afterAll(async () => api?.stop());

interface Case {
  rule: string;
  caller: string | { token: () => string };
  path: () => string;
  status: number;
  code?: string;
}

const cases: Case[] = [
  // 1. Permission
  {
    rule: 'ROLE_V1: a role with access_token.manage held directly grants',
    caller: 'alice',
    path: () => domainTokens('finance', 'sa-etl'),
    status: 200,
  },
  {
    rule: 'ROLE_V1: a role with access_token.manage held through a group grants',
    caller: 'carol',
    path: () => domainTokens('finance', 'sa-reporting'),
    status: 200,
  },
  {
    rule: 'ROLE_V1: a role without access_token.manage does not grant',
    caller: 'bob',
    path: () => domainTokens('finance', 'sa-etl'),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    rule: 'a permission in one domain does not reach another',
    caller: 'alice',
    path: () => domainTokens('marketing', 'sa-campaigns'),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    rule: 'BUNDLE_V2: MANAGE_ACCESS_TOKEN through a group grants',
    caller: 'dave',
    path: () => domainTokens('marketing', 'sa-campaigns'),
    status: 200,
  },
  {
    rule: 'BUNDLE_V2: MANAGE_ACCESS_TOKEN granted to the user grants',
    caller: 'erin',
    path: () => domainTokens('marketing', 'sa-campaigns'),
    status: 200,
  },
  {
    rule: 'BUNDLE_V2: a domain member without the bundle permission is refused',
    caller: 'frank',
    path: () => domainTokens('marketing', 'sa-campaigns'),
    status: 403,
    code: 'FORBIDDEN',
  },
  { rule: 'admin path: any admin role grants', caller: 'root', path: () => adminTokens('sa-platform'), status: 200 },
  {
    rule: 'admin path: a domain permission is not an admin role',
    caller: 'alice',
    path: () => adminTokens('sa-etl'),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    rule: 'an unknown identity has no permission',
    caller: 'nobody-in-directory',
    path: () => domainTokens('finance', 'sa-etl'),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    rule: 'an unknown domain grants nothing',
    caller: 'alice',
    path: () => domainTokens('no-such-domain', 'sa-etl'),
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    rule: 'permission is checked before the account is revealed',
    caller: 'bob',
    path: () => domainTokens('finance', 'no-such-account'),
    status: 403,
    code: 'FORBIDDEN',
  },
  // 2. Target service account
  {
    rule: 'target: an unknown account is not found',
    caller: 'alice',
    path: () => domainTokens('finance', 'no-such-account'),
    status: 404,
    code: 'SERVICE_ACCOUNT_NOT_FOUND',
  },
  {
    rule: 'target: a human user is not a service account',
    caller: 'alice',
    path: () => domainTokens('finance', 'bob'),
    status: 404,
    code: 'SERVICE_ACCOUNT_NOT_FOUND',
  },
  {
    rule: 'target: an account outside the domain is not found there',
    caller: 'alice',
    path: () => domainTokens('finance', 'sa-campaigns'),
    status: 404,
    code: 'SERVICE_ACCOUNT_NOT_FOUND',
  },
  {
    rule: 'target: a human user is not found on the admin path either',
    caller: 'root',
    path: () => adminTokens('alice'),
    status: 404,
    code: 'SERVICE_ACCOUNT_NOT_FOUND',
  },
  {
    rule: 'target: the admin path reaches accounts of any domain',
    caller: 'root',
    path: () => adminTokens('sa-etl'),
    status: 200,
  },
  // 3. Same group
  {
    rule: 'same group: a permitted caller outside every group of the account is refused',
    caller: 'carol',
    path: () => domainTokens('finance', 'sa-etl'),
    status: 403,
    code: 'NOT_SAME_GROUP',
  },
  {
    rule: 'same group: admins too must share a group',
    caller: 'auditor',
    path: () => adminTokens('sa-etl'),
    status: 403,
    code: 'NOT_SAME_GROUP',
  },
  {
    rule: 'same group: the target check comes first, even for admins outside the groups',
    caller: 'auditor',
    path: () => adminTokens('no-such-account'),
    status: 404,
    code: 'SERVICE_ACCOUNT_NOT_FOUND',
  },
  // A caller authenticated by an access token is evaluated like a user.
  {
    rule: "token caller: its service account's admin role and groups grant",
    caller: { token: () => rotatorToken },
    path: () => adminTokens('sa-platform'),
    status: 200,
  },
  {
    rule: 'token caller: its service account must share a group too',
    caller: { token: () => rotatorToken },
    path: () => adminTokens('sa-etl'),
    status: 403,
    code: 'NOT_SAME_GROUP',
  },
  {
    rule: 'token caller: a service account without permission is refused',
    caller: { token: () => etlToken },
    path: () => domainTokens('finance', 'sa-etl'),
    status: 403,
    code: 'FORBIDDEN',
  },
];

describe('authorization rules (docs/directory.md, "Who may manage tokens")', () => {
  for (const testCase of cases) {
    it(`${testCase.rule} → ${testCase.status}${testCase.code ? ` ${testCase.code}` : ''}`, async () => {
      const who = typeof testCase.caller === 'string' ? { as: testCase.caller } : { token: testCase.caller.token() };
      const result = await api.call('GET', testCase.path(), who);
      expect(result).toMatchObject({ status: testCase.status });
      if (testCase.code) expect(result.body.code).toBe(testCase.code);
      else expect(Array.isArray(result.body.tokens)).toBeTruthy();
    });
  }

  it('refuses with the exact same-group message', async () => {
    const result = await api.call('GET', domainTokens('finance', 'sa-etl'), { as: 'carol' });
    expect(result.body.detail).toBe('You must be in the same group as this service account to view and manage tokens');
  });

  it('checks the same group before validating the body', async () => {
    const result = await api.call('POST', domainTokens('finance', 'sa-etl'), {
      as: 'carol',
      body: { name: 'bad name!' },
    });
    expect(result.body.code).toBe('NOT_SAME_GROUP');
  });

  it('applies the same checks to every operation', async () => {
    const base = domainTokens('finance', 'sa-etl');
    const refusals = await Promise.all([
      api.call('POST', base, { as: 'bob', body: { name: 'x' } }),
      api.call('PATCH', `${base}/etl`, { as: 'bob', body: { status: 'SUSPENDED' } }),
      api.call('DELETE', `${base}/etl`, { as: 'bob' }),
      api.call('POST', '/api/v1/domains/finance/auth/service-accounts/tokens', {
        as: 'bob',
        body: { serviceAccountId: 'sa-etl', name: 'x' },
      }),
      api.call('PATCH', `${base}/etl`, { as: 'carol', body: { status: 'SUSPENDED' } }),
      api.call('DELETE', `${base}/etl`, { as: 'carol' }),
    ]);
    expect(refusals.map((r) => r.body.code)).toStrictEqual([
      'FORBIDDEN',
      'FORBIDDEN',
      'FORBIDDEN',
      'FORBIDDEN',
      'NOT_SAME_GROUP',
      'NOT_SAME_GROUP',
    ]);
    // 'the token survived'
    expect((await api.call('GET', '/api/v1/auth/whoami', { token: etlToken })).status).toBe(200);
  });
});
