import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { createIssuerKeyVerifier, type IssuerKeyOptions } from '../../shared/federation/issuer-keys.js';
import { answerJson, startStandInIssuer, type StandInIssuer } from '../support/stand-in-issuer.js';
import { IssuerUnavailableError } from '../../shared/federation/checks.js';

/**
 * The one way the service fetches what an issuer names, against real servers on this
 * machine: the address DNS gives is checked when connecting, redirects are not followed,
 * answers are bounded in size and time, and the keys come from the issuer's host unless
 * the policy lists another.
 */
let ci: StandInIssuer;
let elsewhere: StandInIssuer;
/** What the test's DNS answers for every name. */
let dns: string[] = ['127.0.0.1'];
const lookups: string[] = [];
const lookup = ((hostname: string, _options: unknown, callback: (error: null, addresses: LookupAddress[]) => void) => {
  lookups.push(hostname);
  callback(
    null,
    dns.map((address) => ({ address, family: isIP(address) })),
  );
}) as unknown as typeof dnsLookup;

const DISCOVERY = '/.well-known/openid-configuration';
const LOCAL = { allowLoopback: true };
const AWS = { allowLoopback: false };

beforeEach(async () => {
  [ci, elsewhere] = await Promise.all([startStandInIssuer(1), startStandInIssuer(1)]);
  dns = ['127.0.0.1'];
  lookups.length = 0;
});

afterEach(async () => {
  await Promise.all([ci.close(), elsewhere.close()]);
});

async function verify(issuer: string, options: Partial<IssuerKeyOptions> = {}, jwksHosts: string[] = []) {
  const verifier = createIssuerKeyVerifier({ rules: LOCAL, lookup, timeoutMs: 1_000, ...options });
  const jwt = await ci.sign(ci.keys[0]!, { iss: issuer });
  return verifier(jwt, issuer, new Date(), { jwksHosts });
}

/** The reason an issuer's keys could not be read. */
async function unavailable(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(IssuerUnavailableError);
  return (error as Error).message;
}

/** The issuer as a name: resolved by the test's DNS, not by the address in the URL. */
const named = (issuer: StandInIssuer, scheme = 'http') => `${scheme}://localhost:${issuer.port}`;

describe('the address of an issuer', () => {
  it("is resolved by the system's DNS when none is given", async () => {
    const issuer = named(ci);
    ci.answer(DISCOVERY, answerJson({ issuer, jwks_uri: `${issuer}/jwks` }));
    expect((await verify(issuer, { lookup: undefined })).keysHost).toBe(`localhost:${ci.port}`);
    expect({ testLookups: lookups.length, served: ci.requests.length > 0 }).toStrictEqual({
      testLookups: 0,
      served: true,
    });
  });

  it('is checked when connecting, every time: a name moved to a non-public address gets no request', async () => {
    const issuer = named(ci);
    ci.answer(DISCOVERY, answerJson({ issuer, jwks_uri: `${issuer}/jwks` }));
    expect((await verify(issuer)).keysHost).toBe(`localhost:${ci.port}`);
    expect(lookups.length).toBeGreaterThan(0);
    const served = ci.requests.length;
    const moved = [
      ['169.254.169.254'],
      ['10.0.0.1'],
      ['fd00:ec2::254'],
      ['::ffff:a9fe:a9fe'],
      ['127.0.0.1', '10.0.0.9'],
    ];
    for (const answer of moved) {
      dns = answer;
      const why = /resolves to a non-public address: .* is (link-local|private|unique local|IPv4-mapped)/;
      expect(await unavailable(verify(issuer))).toMatch(why);
    }
    expect(ci.requests.length).toBe(served);
  });

  it('in AWS, may not be loopback, whatever the name', async () => {
    const message = await unavailable(verify(named(ci, 'https'), { rules: AWS }));
    expect(message).toMatch(/localhost is loopback/);
    dns = ['127.0.0.1'];
    const aws = (issuer: string) => unavailable(verify(issuer, { rules: AWS }));
    const loopback = /resolves to a non-public address: 127\.0\.0\.1 is loopback/;
    expect(await aws(`https://ci.example.test:${ci.port}`)).toMatch(loopback);
    expect(await aws(`http://ci.example.test:${ci.port}`)).toMatch(/must be an https URL/);
    expect(ci.requests).toStrictEqual([]);
  });
});

describe('what an issuer answers', () => {
  it('is not followed when it redirects', async () => {
    ci.answer(DISCOVERY, (_req, res) => res.writeHead(302, { location: `${elsewhere.issuer}${DISCOVERY}` }).end());
    expect(await unavailable(verify(ci.issuer))).toMatch(/answered 302; redirects are not followed/);
    ci.answer(DISCOVERY, answerJson({ issuer: ci.issuer, jwks_uri: `${ci.issuer}/moved` }));
    ci.answer('/moved', (_req, res) => res.writeHead(301, { location: `${elsewhere.issuer}/jwks` }).end());
    expect(await unavailable(verify(ci.issuer))).toMatch(/answered 301; redirects are not followed/);
    expect(elsewhere.requests).toStrictEqual([]);
  });

  it('is read up to 64 KiB, declared or not', async () => {
    const big = JSON.stringify({ issuer: ci.issuer, jwks_uri: `${ci.issuer}/jwks`, padding: 'x'.repeat(70_000) });
    const declared = { 'content-type': 'application/json', 'content-length': String(big.length) };
    ci.answer(DISCOVERY, (_req, res) => res.writeHead(200, declared).end(big));
    expect(await unavailable(verify(ci.issuer))).toMatch(/larger than 65536 bytes/);
    ci.answer(DISCOVERY, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < big.length; i += 8_192) res.write(big.slice(i, i + 8_192));
      res.end();
    });
    expect(await unavailable(verify(ci.issuer))).toMatch(/larger than 65536 bytes/);
  });

  it('is waited for a bounded time, whether nothing comes or it comes a drop at a time', async () => {
    ci.answer(DISCOVERY, () => undefined);
    let started = Date.now();
    expect(await unavailable(verify(ci.issuer, { timeoutMs: 300 }))).toMatch(/no whole answer from .* within 300 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
    const drips: NodeJS.Timeout[] = [];
    ci.answer(DISCOVERY, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      drips.push(setInterval(() => res.write(' '), 50));
    });
    started = Date.now();
    try {
      expect(await unavailable(verify(ci.issuer, { timeoutMs: 300 }))).toMatch(/within 300 ms/);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      drips.forEach(clearInterval);
    }
  });
});

describe('where the keys come from', () => {
  const keysOn = (jwksUri: string) => ci.answer(DISCOVERY, answerJson({ issuer: ci.issuer, jwks_uri: jwksUri }));

  it('is the issuer’s own host, or one the policy lists', async () => {
    keysOn(`http://localhost:${ci.port}/jwks`);
    const why = `jwks_uri is on localhost:${ci.port}, not on the issuer's host`;
    const message = `The issuer's ${why}; list that host in the policy's jwksHosts to trust it`;
    expect(await unavailable(verify(ci.issuer))).toBe(message);
    expect(ci.requests).not.toContain('/jwks');
    expect((await verify(ci.issuer, {}, [`localhost:${ci.port}`])).keysHost).toBe(`localhost:${ci.port}`);
  });

  it('is fetched under the same rules as the issuer', async () => {
    keysOn('http://keys.example.test/jwks');
    expect(await unavailable(verify(ci.issuer, {}, ['keys.example.test']))).toMatch(/must be an https URL/);
    keysOn('https://keys.example.test/jwks');
    dns = ['169.254.169.254'];
    expect(await unavailable(verify(ci.issuer, {}, ['keys.example.test']))).toMatch(/169\.254\.169\.254 is link-local/);
  });
});
