import { describe, expect, it } from '@jest/globals';
import { readConfig } from '../../shared/kernel/config.js';
import { addressProblem, outboundUrlProblem } from '../../shared/federation/addresses.js';
import { issuerProblem, jwksHostProblem } from '../../shared/federation/policy.js';

/**
 * What the service may fetch an issuer's discovery document and keys from: public
 * addresses over https. Every form of the service's own network is refused, however it is
 * written; loopback only where local development allows it.
 */
const AWS = { allowLoopback: false };
const LOCAL = { allowLoopback: true };

describe('addresses', () => {
  const refused: [string, RegExp][] = [
    ['127.0.0.1', /loopback/],
    ['127.45.6.7', /loopback/],
    ['0.0.0.0', /this network/],
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.100.100.200', /carrier-grade NAT/],
    ['169.254.169.254', /link-local \(cloud metadata\)/],
    ['169.254.170.2', /link-local/],
    ['192.0.0.192', /reserved for protocols/],
    ['192.0.2.1', /documentation/],
    ['198.18.0.1', /benchmarking/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /reserved/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['fd00:ec2::254', /unique local/],
    ['fc00::1', /unique local/],
    ['fec0::1', /site-local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /IPv4-mapped 127\.0\.0\.1, loopback/],
    ['::ffff:7f00:1', /IPv4-mapped 127\.0\.0\.1, loopback/],
    ['::ffff:169.254.169.254', /IPv4-mapped 169\.254\.169\.254, link-local/],
    ['::ffff:10.0.0.1', /IPv4-mapped 10\.0\.0\.1, private/],
    ['64:ff9b::a9fe:a9fe', /NAT64 169\.254\.169\.254/],
    ['2002:7f00:1::', /6to4 127\.0\.0\.1, loopback/],
    ['2002:a00:1::1', /6to4 10\.0\.0\.1, private/],
    ['2001::1', /Teredo/],
    ['2001:db8::1', /documentation/],
    ['::127.0.0.1', /reserved/],
    ['100::1', /reserved/],
  ];
  it.each(refused)('refuses %s', (address, what) => {
    expect(addressProblem(address, AWS)).toMatch(what);
  });

  const accepted = ['8.8.8.8', '140.82.112.3', '2606:4700::6810:84e5', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8'];
  it.each([...accepted, '64:ff9b::808:808', '2002:808:808::1'])('accepts the public address %s', (address) => {
    expect(addressProblem(address, AWS)).toBeUndefined();
  });

  it('accepts loopback only where local development allows it, and nothing else private', () => {
    const loopback = ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1'];
    for (const address of loopback) expect(addressProblem(address, LOCAL)).toBeUndefined();
    for (const address of ['10.0.0.1', '169.254.169.254', 'fd00:ec2::254', '::ffff:10.0.0.1']) {
      expect(addressProblem(address, LOCAL)).toBeDefined();
    }
  });
});

describe('issuer URLs', () => {
  // The URL parser writes 127.0.0.1 for each of these: the rules see what would be connected to.
  const refusedInAws = [
    ['http://ci.example.test', /https/],
    ['http://127.0.0.1:9001', /https/],
    ['https://127.0.0.1:9001', /127\.0\.0\.1 is loopback/],
    ['https://2130706433/', /127\.0\.0\.1 is loopback/],
    ['https://0x7f.1/', /127\.0\.0\.1 is loopback/],
    ['https://127.1/', /127\.0\.0\.1 is loopback/],
    ['https://localhost/', /localhost is loopback/],
    ['https://ci.localhost/', /ci\.localhost is loopback/],
    ['https://[::1]/', /loopback/],
    ['https://[::ffff:127.0.0.1]/', /\[::ffff:7f00:1\] is loopback/],
    ['https://169.254.169.254/latest', /link-local/],
    ['https://[fd00:ec2::254]/', /unique local/],
    ['https://10.0.0.5/', /private/],
    ['https://100.64.1.1/', /carrier-grade NAT/],
    ['https://[fe80::1]/', /link-local/],
    ['https://user:secret@ci.example.test/', /no query, fragment or credentials/],
    ['https://ci.example.test/?tenant=1', /no query, fragment or credentials/],
    ['ftp://ci.example.test/', /https/],
    ['not a url', /absolute URL/],
  ] as const;
  it.each(refusedInAws)('refuses %s in AWS', (issuer, why) => {
    expect(issuerProblem(issuer, AWS)).toMatch(why);
  });

  it('accepts public https issuers everywhere, and loopback ones (http included) only locally', () => {
    for (const issuer of ['https://token.actions.githubusercontent.com', 'https://gitlab.com', 'https://8.8.8.8/ci']) {
      expect([issuerProblem(issuer, AWS), issuerProblem(issuer, LOCAL)]).toStrictEqual([undefined, undefined]);
    }
    const local = ['http://127.0.0.1:9001', 'http://localhost:3000/oidc', 'http://[::1]:8080', 'https://localhost'];
    for (const issuer of local) {
      expect(issuerProblem(issuer, LOCAL)).toBeUndefined();
      expect(issuerProblem(issuer, AWS)).toBeDefined();
    }
    // Local development allows loopback, not plain http elsewhere, nor private networks.
    expect(issuerProblem('http://ci.example.test', LOCAL)).toMatch(/plain http only on a loopback host/);
    expect(issuerProblem('https://10.0.0.5', LOCAL)).toMatch(/private/);
  });

  it('judges every URL fetched the same way (a jwks_uri too)', () => {
    expect(outboundUrlProblem(new URL('http://keys.example.test/jwks'), AWS)).toMatch(/https/);
    expect(outboundUrlProblem(new URL('https://169.254.169.254/jwks'), AWS)).toMatch(/link-local/);
    expect(outboundUrlProblem(new URL('https://keys.example.test/jwks?v=2'), AWS)).toBeUndefined();
  });
});

describe('jwksHosts', () => {
  it('are lower-case domain names, with a port if not 443, and never addresses', () => {
    expect(jwksHostProblem('www.googleapis.com', AWS)).toBeUndefined();
    expect(jwksHostProblem('keys.example.test:8443', AWS)).toBeUndefined();
    const malformed = ['Keys.Example.test', 'keys.example.test:443', 'https://b.test', 'b.test/jwks', 'a@b.test', ''];
    for (const host of malformed) {
      expect(jwksHostProblem(host, AWS)).toMatch(/not a lower-case host name/);
    }
    for (const host of ['10.0.0.1', '169.254.169.254', '[::1]', '[fd00:ec2::254]', 'metadata']) {
      expect(jwksHostProblem(host, AWS)).toMatch(/domain name, not an address/);
    }
    expect(jwksHostProblem('localhost:8080', AWS)).toMatch(/loopback/);
    expect(jwksHostProblem('localhost:8080', LOCAL)).toBeUndefined();
  });
});

describe('the loopback setting', () => {
  it('is off unless set, and refused inside Lambda', () => {
    expect(readConfig({}).federation.issuers).toStrictEqual({ allowLoopback: false });
    const allowed = (value: string) =>
      readConfig({ FEDERATION_ALLOW_LOOPBACK_ISSUERS: value }).federation.issuers.allowLoopback;
    expect([allowed('true'), allowed('1'), allowed('false'), allowed('')]).toStrictEqual([true, true, false, false]);
    const lambda = {
      AWS_LAMBDA_FUNCTION_NAME: 'f',
      TABLE_NAME: 't',
      JWKS_URL: 'https://idp.example.test/jwks',
      JWT_ISSUER: 'https://idp.example.test',
      JWT_AUDIENCE: 'a',
    };
    expect(readConfig(lambda).federation.issuers.allowLoopback).toBe(false);
    const inLambda = () => readConfig({ ...lambda, FEDERATION_ALLOW_LOOPBACK_ISSUERS: 'true' });
    expect(inLambda).toThrow(/FEDERATION_ALLOW_LOOPBACK_ISSUERS is for local development only/);
  });
});
