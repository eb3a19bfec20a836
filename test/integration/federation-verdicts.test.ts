import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { type CiIssuer, GITHUB_CLAIMS, startCiIssuer } from '../support/ci-issuer.js';
import { exchange } from '../support/exchange.js';
import { startTestService, type TestService } from '../support/service.js';
import { STAND_IN_AUDIENCE, startStandInIssuer, type StandInIssuer } from '../support/stand-in-issuer.js';

/**
 * What an exchange answers, and records, before and after the subject token's signature
 * verifies with a key its issuer publishes. Before, the claims are anyone's: the answer
 * is made from the token alone (no policy named, nothing about which issuers the account
 * trusts), nothing is stored, and the refusal is only counted. After, the claims are the
 * issuer's: the answer names the failed check and the closest policy, and is recorded.
 * And a token without `kid`, from an issuer with several keys, gets a verdict.
 */
let api: TestService;
let ci: CiIssuer;
let twoKeys: StandInIssuer;
let sevenKeys: StandInIssuer;
const AUDIENCE = 'https://tokens.example.test';
const ETL = '/api/v1/domains/finance/auth/service-accounts/sa-etl';
const PLATFORM = '/api/v1/auth/service-accounts/sa-platform';
const TRUSTED = 'with the keys of an issuer this service account trusts';
const refusal = (description: string) => ({ error: 'invalid_grant', error_description: description });
const UNVERIFIED = refusal(`the subject token's signature does not verify ${TRUSTED}`);
const NO_KID = refusal(`the subject token names no key (no 'kid') that verifies ${TRUSTED}`);
const PROD = 'repo:org/app:environment:prod';
const DEV = 'repo:org/app:environment:dev';
let prodId = '';

beforeAll(async () => {
  [ci, twoKeys, sevenKeys] = await Promise.all([startCiIssuer(), startStandInIssuer(2), startStandInIssuer(7)]);
  // The CI issuers of this file run on this machine, as under `npm start`.
  api = await startTestService({ env: { POWERTOOLS_LOG_LEVEL: 'ERROR', FEDERATION_ALLOW_LOOPBACK_ISSUERS: 'true' } });
  const policy = (path: string, as: string, body: Record<string, unknown>) =>
    api.call('POST', `${path}/federation-policies`, { as, body: { audiences: [AUDIENCE], ...body } });
  // Two policies of one issuer that differ in their subject: a made-up `sub` could choose between their names.
  const prod = await policy(ETL, 'alice', { name: 'deploy-prod', issuer: ci.issuer, subject: PROD });
  expect(prod.status).toBe(201);
  prodId = prod.body.policyId;
  const staging = { name: 'deploy-staging', issuer: ci.issuer, subject: 'repo:org/app:environment:staging' };
  expect((await policy(ETL, 'alice', staging)).status).toBe(201);
  for (const [name, issuer] of [
    ['two-keys', twoKeys.issuer],
    ['seven-keys', sevenKeys.issuer],
  ]) {
    const body = { name, issuer, audiences: [STAND_IN_AUDIENCE], subject: 'repo:org/app:**' };
    expect((await policy(PLATFORM, 'root', body)).status).toBe(201);
  }
});

afterAll(async () => {
  await api?.stop();
  await Promise.all([ci?.close(), twoKeys?.close(), sevenKeys?.close()]);
});

type Forgery = { alg?: 'RS256' | 'HS256' | 'none'; kid?: string };

/** A token as an attacker makes one: the issuer's `kid` (or another), any claims, signed with their own key or not. */
async function forged(claims: Record<string, unknown>, options: Forgery = {}) {
  const now = Math.floor(Date.now() / 1000);
  const jti = `forged-${Math.random()}`;
  const payload = { ...GITHUB_CLAIMS, iss: ci.issuer, aud: AUDIENCE, iat: now, exp: now + 300, jti, ...claims };
  if (options.alg === 'none') {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ alg: 'none' })}.${part(payload)}.`;
  }
  const kid = options.kid ?? ci.keys.rs256.kid!;
  const hmacSecret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!');
  if (options.alg === 'HS256') return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid }).sign(hmacSecret);
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const key = await importJWK(jwk as Parameters<typeof importJWK>[0], 'RS256');
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
}

const answer = async (jwt: Promise<string> | string, account = 'sa-etl') => {
  const reply = await exchange(api, await jwt, account);
  return { status: reply.status, body: reply.body };
};

/** The items exchanges write: issued tokens, their events and refusals' events, used jtis. */
async function exchangeWrites() {
  const written = (item: Record<string, unknown>) =>
    /^(EVENTS#|CRED#|JTI#)/.test(String(item.pk)) || String(item.sk).startsWith('TOKEN#');
  return (await api.scanTable()).filter(written);
}

describe('before the signature verifies', () => {
  it('names no policy, whatever the claims say', async () => {
    const answers = [];
    for (const sub of [PROD, 'repo:org/app:environment:staging', 'repo:else/app:environment:prod']) {
      answers.push(await answer(forged({ sub })), await answer(forged({ sub, environment: 'staging' })));
    }
    expect(answers).toStrictEqual(Array(answers.length).fill({ status: 400, body: UNVERIFIED }));
    // A token signed with no key, or with an HMAC secret, is refused for its algorithm alone.
    for (const alg of ['none', 'HS256'] as const) {
      const refused = await answer(forged({ sub: 'repo:org/app:environment:staging' }, { alg }));
      const description = `algorithm '${alg}' is not accepted; the subject token must be signed with RS256 or ES256`;
      expect(refused).toStrictEqual({ status: 400, body: refusal(description) });
    }
  });

  it('tells nothing of which issuers the account trusts, or whether it has policies at all', async () => {
    const answers = [
      await answer(forged({})),
      await answer(forged({ iss: 'https://token.actions.githubusercontent.com' })),
      await answer(forged({ iss: ci.issuer }, { kid: 'a-kid-nobody-published' })),
      await answer(forged({}), 'sa-reporting'),
      await answer(forged({}), 'no-such-account'),
    ];
    expect(answers).toStrictEqual(Array(answers.length).fill({ status: 400, body: UNVERIFIED }));
  });

  it('writes nothing to the table, and counts each refusal instead', async () => {
    const counted = jest.spyOn(api.service.runtime.metrics, 'addMetric');
    try {
      const before = await exchangeWrites();
      const elsewhere = forged({ iss: 'https://elsewhere.example.test' });
      const unknownKid = forged({}, { kid: 'unknown' });
      const tokens = [forged({}), forged({}, { alg: 'none' }), elsewhere, unknownKid, 'e30.e30.e30'];
      for (const jwt of tokens) expect((await answer(jwt)).status).toBe(400);
      expect(await exchangeWrites()).toStrictEqual(before);
      const names = counted.mock.calls.map(([name]) => name);
      expect(names.filter((name) => name === 'TokenExchangeRefusedUnverified')).toHaveLength(tokens.length);
      expect(names).not.toContain('TokenExchangeRefused');
    } finally {
      counted.mockRestore();
    }
  });
});

describe('once the signature verifies', () => {
  it('names the failed check and the closest policy, records the refusal and counts it', async () => {
    const counted = jest.spyOn(api.service.runtime.metrics, 'addMetric');
    try {
      const reply = await answer(ci.issue(AUDIENCE, { ...GITHUB_CLAIMS, sub: DEV }));
      const why = /subject 'repo:org\/app:environment:dev' does not match policy 'deploy-(prod|staging)'/;
      expect(reply.status).toBe(400);
      expect(reply.body).toStrictEqual({ error: 'invalid_grant', error_description: expect.stringMatching(why) });
      const refused = await api.call('GET', `${ETL}/token-events?type=token.exchange_refused`, { as: 'alice' });
      const policyName = expect.stringMatching(/^deploy-/);
      const recorded = { subject: DEV, reason: expect.stringMatching(/^subject:/), policyName };
      expect(refused.body.events[0].exchange).toMatchObject(recorded);
      expect(counted.mock.calls.map(([name]) => name)).toContain('TokenExchangeRefused');
    } finally {
      counted.mockRestore();
    }
  });

  it('leaves every check to the policy test, for the account’s managers', async () => {
    type Check = { name: string; passed: boolean; detail: string };
    const test = async (jwt: string) => {
      const path = `${ETL}/federation-policies/${prodId}/test`;
      const reply = await api.call('POST', path, { as: 'alice', body: { subjectToken: jwt } });
      expect(reply.status).toBe(200);
      return Object.fromEntries((reply.body.checks as Check[]).map((check) => [check.name, check]));
    };
    expect(await test(await forged({ sub: DEV }))).toMatchObject({
      signature: { passed: false, detail: "the signature does not verify with the issuer's key" },
      issuer: { passed: true },
      subject: { passed: false, detail: `subject '${DEV}' does not match '${PROD}'` },
    });
    const unknownKid = await test(await forged({}, { kid: 'a-kid-nobody-published' }));
    const noSuchKey = expect.stringMatching(/no key with kid 'a-kid-nobody-published'/);
    expect(unknownKid.signature).toMatchObject({ passed: false, detail: noSuchKey });
    const elsewhere = await test(await forged({ iss: 'https://elsewhere.example.test' }));
    const notTheIssuer = `issuer 'https://elsewhere.example.test' is not '${ci.issuer}'`;
    expect(elsewhere.issuer).toMatchObject({ passed: false, detail: notTheIssuer });
  });
});

describe('a subject token without kid', () => {
  it('is tried with each key of its issuer that fits its algorithm', async () => {
    const reply = await answer(twoKeys.sign(twoKeys.keys[1]!), 'sa-platform');
    expect(reply.status).toBe(200);
    expect(reply.body.access_token).toMatch(/^iomsat_/);
  });

  it('is refused with a verdict, not an outage, when none of them verifies it', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(await answer(twoKeys.sign(stranger), 'sa-platform')).toStrictEqual({ status: 400, body: NO_KID });
  });

  it('is tried with at most five keys', async () => {
    expect((await answer(sevenKeys.sign(sevenKeys.keys[4]!), 'sa-platform')).status).toBe(200);
    const sixth = await answer(sevenKeys.sign(sevenKeys.keys[5]!), 'sa-platform');
    expect(sixth).toStrictEqual({ status: 400, body: NO_KID });
  });

  it('shows in the policy test why no key verified it', async () => {
    const policies = (await api.call('GET', `${PLATFORM}/federation-policies`, { as: 'root' })).body.policies;
    const listed = policies as { policyId: string; name: string }[];
    const { policyId } = listed.find((policy) => policy.name === 'seven-keys')!;
    const subjectToken = await sevenKeys.sign(sevenKeys.keys[6]!);
    const path = `${PLATFORM}/federation-policies/${policyId}/test`;
    const reply = await api.call('POST', path, { as: 'root', body: { subjectToken } });
    const detail =
      "the subject token names no key (no 'kid'), and none of the issuer's first 5 keys for its algorithm verifies it";
    const signature = reply.body.checks.find((check: { name: string }) => check.name === 'signature');
    expect(signature).toStrictEqual({ name: 'signature', passed: false, detail });
  });
});
