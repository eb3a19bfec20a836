import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { createIssuerKeyVerifier } from '../../shared/federation/issuer-keys.js';
import { exchange } from '../support/exchange.js';
import { startTestService, type TestService } from '../support/service.js';
import { STAND_IN_AUDIENCE, startStandInIssuer, type StandInIssuer } from '../support/stand-in-issuer.js';

/**
 * Issuers as AWS sees them (no FEDERATION_ALLOW_LOOPBACK_ISSUERS): a policy names a
 * public https host or is refused, and a name is checked again on every fetch, against
 * the address DNS gives at that moment. The real verifier runs; only DNS is the test's.
 */
let api: TestService;
let ci: StandInIssuer;
let dns = '127.0.0.1';
const lookup = ((_hostname: string, _options: unknown, callback: (error: null, addresses: LookupAddress[]) => void) =>
  callback(null, [{ address: dns, family: isIP(dns) }])) as unknown as typeof dnsLookup;
const POLICIES = '/api/v1/domains/finance/auth/service-accounts/sa-etl/federation-policies';

beforeAll(async () => {
  ci = await startStandInIssuer(1);
  api = await startTestService({
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
    parts: (config) => ({ verifySubjectToken: createIssuerKeyVerifier({ rules: config.federation.issuers, lookup }) }),
  });
});

afterAll(async () => {
  await api?.stop();
  await ci?.close();
});

const body = (issuer: unknown, extra: Record<string, unknown> = {}) => ({
  name: 'ci',
  issuer,
  subject: 'repo:org/app:**',
  ...extra,
});
const create = (policy: Record<string, unknown>) => api.call('POST', POLICIES, { as: 'alice', body: policy });

describe('a policy’s issuer, in AWS', () => {
  it('must be a public https host: each other form is refused, naming the field, and nothing is written', async () => {
    const before = await api.scanTable();
    const refused: [string, RegExp][] = [
      ['http://ci.example.test', /must be an https URL$/],
      ['http://127.0.0.1:9001', /must be an https URL$/],
      ['https://127.0.0.1:9001', /127\.0\.0\.1 is loopback/],
      ['https://2130706433', /127\.0\.0\.1 is loopback/],
      ['https://localhost:3000', /localhost is loopback/],
      ['https://[::1]', /loopback/],
      ['https://[::ffff:127.0.0.1]', /loopback/],
      ['https://169.254.169.254', /link-local/],
      ['https://[fd00:ec2::254]', /unique local/],
      ['https://[::ffff:169.254.169.254]', /IPv4-mapped 169\.254\.169\.254/],
      ['https://10.0.0.1', /private/],
      ['https://192.168.0.10', /private/],
      ['https://100.64.0.1', /carrier-grade NAT/],
      ['https://[fe80::1]', /link-local/],
    ];
    for (const [issuer, why] of refused) {
      const reply = await create(body(issuer));
      const errors = [{ field: 'issuer', message: expect.stringMatching(why) }];
      const answered = { issuer, status: reply.status, errors: reply.body.errors };
      expect(answered).toStrictEqual({ issuer, errors, status: 400 });
    }
    const hosts: [string[], RegExp][] = [
      [['10.0.0.1'], /not an address/],
      [['localhost:8443'], /loopback/],
      [['Keys.Example.test'], /lower-case/],
      [['a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'f.test'], /at most 5/],
    ];
    for (const [jwksHosts, why] of hosts) {
      const reply = await create(body('https://ci.example.test', { jwksHosts }));
      expect(reply.body.errors).toStrictEqual([{ field: 'jwksHosts', message: expect.stringMatching(why) }]);
    }
    expect(await api.scanTable()).toStrictEqual(before);
  });

  it('may name other hosts for its keys, shown with the policy', async () => {
    const policy = body('https://accounts.example.test', { name: 'keys-elsewhere', jwksHosts: ['keys.example.test'] });
    const reply = await create(policy);
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ issuer: 'https://accounts.example.test', jwksHosts: ['keys.example.test'] });
    const read = await api.call('GET', `${POLICIES}/${reply.body.policyId}`, { as: 'alice' });
    expect(read.body.jwksHosts).toStrictEqual(['keys.example.test']);
    expect((await api.call('DELETE', `${POLICIES}/${reply.body.policyId}`, { as: 'alice' })).status).toBe(204);
  });

  it('is resolved on every fetch: a name at the service’s own addresses gets no request', async () => {
    // A public-looking name, accepted when the policy is made; DNS then says 127.0.0.1 (the Lambda Runtime API's).
    const issuer = `https://ci.example.test:${ci.port}`;
    const created = await create(body(issuer, { name: 'rebound', audiences: [STAND_IN_AUDIENCE] }));
    expect(created.status).toBe(201);
    for (const address of ['127.0.0.1', '169.254.169.254', '::1']) {
      dns = address;
      const jwt = await ci.sign(ci.keys[0]!, { iss: issuer });
      expect((await exchange(api, jwt, 'sa-etl')).status).toBe(503);
      const test = `${POLICIES}/${created.body.policyId}/test`;
      const tested = await api.call('POST', test, { as: 'alice', body: { subjectToken: jwt } });
      const why = new RegExp(`non-public address: ${address.replace(/\./g, '\\.')} is (loopback|link-local)`);
      const signature = tested.body.checks.find((check: { name: string }) => check.name === 'signature');
      expect(signature).toMatchObject({ passed: false, detail: expect.stringMatching(why) });
    }
    expect(ci.requests).toStrictEqual([]);
  });
});
