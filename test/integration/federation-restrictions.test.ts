import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../shared/dynamodb/keys.js';
import { type CiIssuer, GITHUB_CLAIMS, startCiIssuer } from '../support/ci-issuer.js';
import { exchange } from '../support/exchange.js';
import { exampleDirectory, startTestService, type TestService } from '../support/service.js';

/**
 * Federation policies set the restrictions of the tokens they issue: their scopes and
 * networks, shown on the policy and carried by every token exchanged under it. Where
 * networks are required on an account's new tokens, a policy must carry them too. Their
 * maxRps is at most what one token can reach, 3000, as a token's is.
 */
let api: TestService;
let ci: CiIssuer;
const AUDIENCE = 'https://tokens.example.test';
const POLICIES = '/api/v1/domains/finance/auth/service-accounts/sa-etl/federation-policies';
const CAMPAIGN_POLICIES = '/api/v1/domains/marketing/auth/service-accounts/sa-campaigns/federation-policies';

beforeAll(async () => {
  ci = await startCiIssuer();
  const directory = exampleDirectory();
  directory.domains = directory.domains.map((domain) =>
    domain.id === 'marketing' ? { ...domain, requireAllowedCidrs: true } : domain,
  );
  api = await startTestService({
    directory,
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', FEDERATION_ALLOW_LOOPBACK_ISSUERS: 'true' },
  });
});
afterAll(async () => {
  await api?.stop();
  await ci?.close();
});

const policy = (name: string, extra: Record<string, unknown>) => ({
  name,
  issuer: ci.issuer,
  audiences: [AUDIENCE],
  subject: `repo:org/${name}:environment:prod`,
  ...extra,
});

describe('restrictions of issued tokens', () => {
  it("gives every token a policy issues the policy's scopes and networks", async () => {
    const made = await api.call('POST', POLICIES, {
      as: 'alice',
      body: policy('readers', { scopes: ['api', 'tokens:read'], allowedCidrs: ['127.0.0.1', '10.0.0.0/8'] }),
    });
    expect(made.status).toBe(201);
    const restrictions = { scopes: ['tokens:read', 'api'], allowedCidrs: ['127.0.0.1/32', '10.0.0.0/8'] };
    expect(made.body).toMatchObject(restrictions);
    const subject = await ci.issue(AUDIENCE, { ...GITHUB_CLAIMS, sub: 'repo:org/readers:environment:prod' });
    const exchanged = await exchange(api, subject, 'sa-etl');
    expect(exchanged.status).toBe(200);
    const whoami = await api.call('GET', '/api/v1/auth/whoami', { token: exchanged.body.access_token });
    expect(whoami.body).toMatchObject(restrictions);
    // It may read, and nothing else of this service.
    const minted = await api.call('POST', '/api/v1/domains/finance/auth/service-accounts/sa-etl/tokens', {
      token: exchanged.body.access_token,
      body: { name: 'from-ci' },
    });
    expect(minted.body).toMatchObject({ code: 'INSUFFICIENT_SCOPE', requiredScope: 'tokens:write' });
  });

  it('issues tokens with every scope, from anywhere, from a policy that sets neither', async () => {
    expect((await api.call('POST', POLICIES, { as: 'alice', body: policy('open', {}) })).body).toMatchObject({
      scopes: ['tokens:read', 'tokens:write', 'api'],
      allowedCidrs: null,
    });
  });

  it('refuses a policy without networks where the domain requires them on new tokens (400)', async () => {
    const refused = await api.call('POST', CAMPAIGN_POLICIES, { as: 'dave', body: policy('campaigns', {}) });
    expect({ status: refused.status, field: refused.body.errors?.[0]?.field }).toStrictEqual({
      status: 400,
      field: 'allowedCidrs',
    });
    const body = policy('campaigns', { allowedCidrs: ['127.0.0.0/8'] });
    expect((await api.call('POST', CAMPAIGN_POLICIES, { as: 'dave', body })).status).toBe(201);
  });

  it('holds a policy, and every token it issues, to 3000 requests a second at most', async () => {
    const over = await api.call('POST', POLICIES, { as: 'alice', body: policy('too-fast', { maxRps: 3_001 }) });
    expect({ status: over.status, errors: over.body.errors }).toStrictEqual({
      status: 400,
      errors: [{ field: 'maxRps', message: 'must be an integer from 1 to 3000, or null' }],
    });
    const made = await api.call('POST', POLICIES, { as: 'alice', body: policy('fastest', { maxRps: 3_000 }) });
    expect(made.status).toBe(201);
    // A policy stored by an earlier version, which allowed up to 10000.
    await api.documentClient.send(
      new UpdateCommand({
        TableName: api.tableName,
        Key: keys.policy('sa-etl', made.body.policyId),
        UpdateExpression: 'SET maxRps = :rps',
        ExpressionAttributeValues: { ':rps': 10_000 },
      }),
    );
    const subject = await ci.issue(AUDIENCE, { ...GITHUB_CLAIMS, sub: 'repo:org/fastest:environment:prod' });
    const exchanged = await exchange(api, subject, 'sa-etl');
    expect(exchanged.status).toBe(200);
    const self = await api.call('GET', '/api/v1/auth/tokens/self', { token: exchanged.body.access_token });
    // Held to the top rate tier, which exists: no plan is made for more than a token can reach.
    expect(self.body).toMatchObject({ maxRps: 3_000, enforcedMaxRps: 2_711 });
  });
});
