import { describe, expect, it } from '@jest/globals';
import { decodeCaller, encodeCaller } from '../../shared/auth/authorizer-context.js';
import { InsufficientScopeError, UnauthorizedError } from '../../shared/kernel/errors.js';
import type { Caller } from '../../shared/kernel/model.js';
import { addressAllowed, cidrWithin, normaliseAddress, parseCidr } from '../../shared/kernel/networks.js';
import { requiredScope, restrictionsOf, scopesFromText } from '../../shared/kernel/restrictions.js';
import { requestMeta } from '../../shared/http/request-origin.js';
import { assertScope } from '../../shared/middleware/authorization.js';
import { checkChangeWithinCaller, excessOver } from '../../shared/tokens/caller-limits.js';

/** The rules of token restrictions that need no service: networks, scopes, and the caller's bound. */

describe('networks', () => {
  it('normalises networks: a bare address is itself, IPv6 in RFC 5952 form', () => {
    expect(parseCidr('192.0.2.7')).toStrictEqual({ cidr: '192.0.2.7/32' });
    expect(parseCidr(' 10.0.0.0/8 ')).toStrictEqual({ cidr: '10.0.0.0/8' });
    expect(parseCidr('2001:0DB8:0000:0000:0000:0000:0000:0000/32')).toStrictEqual({ cidr: '2001:db8::/32' });
    expect(parseCidr('::1')).toStrictEqual({ cidr: '::1/128' });
    expect(parseCidr('0.0.0.0/0')).toStrictEqual({ cidr: '0.0.0.0/0' });
  });

  it('refuses what is not a network, with the reason', () => {
    expect(parseCidr('10.1.2.3/8')).toStrictEqual({
      problem: "'10.1.2.3/8' has host bits set: the network of that prefix is 10.0.0.0/8",
    });
    expect(parseCidr('2001:db8::1/32')).toMatchObject({ problem: expect.stringContaining('is 2001:db8::/32') });
    for (const text of ['10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0.0/8/8', '10.0.0.0/', 'fe80::1%eth0', '1.2.3']) {
      expect({ text, parsed: 'problem' in parseCidr(text) }).toStrictEqual({ text, parsed: true });
    }
  });

  it('judges addresses, an IPv4-mapped one as its IPv4 address', () => {
    const cidrs = ['127.0.0.0/8', '2001:db8::/32'];
    expect(addressAllowed('127.0.0.1', cidrs)).toBe(true);
    expect(addressAllowed('::ffff:127.0.0.1', cidrs)).toBe(true);
    expect(addressAllowed('2001:db8:1::5', cidrs)).toBe(true);
    expect(addressAllowed('128.0.0.1', cidrs)).toBe(false);
    expect(addressAllowed('::1', cidrs)).toBe(false);
    expect(addressAllowed('', cidrs)).toBe(false);
    expect(addressAllowed('not-an-address', cidrs)).toBe(false);
    expect(normaliseAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normaliseAddress('2001:DB8::0:1')).toBe('2001:db8::1');
    expect(normaliseAddress('unknown')).toBe('unknown');
  });

  it('reports the address as API Gateway does, whatever the socket said', () => {
    const meta = requestMeta({ requestContext: { identity: { sourceIp: '::ffff:10.1.2.3' } } });
    expect(meta.sourceIp).toBe('10.1.2.3');
    expect(requestMeta({}).sourceIp).toBeNull();
  });

  it('tells a network within another: same family, no shorter prefix, same leading bits', () => {
    expect(cidrWithin('10.1.0.0/16', ['10.0.0.0/8'])).toBe(true);
    expect(cidrWithin('10.0.0.0/8', ['10.0.0.0/8'])).toBe(true);
    expect(cidrWithin('10.0.0.0/7', ['10.0.0.0/8'])).toBe(false);
    expect(cidrWithin('11.0.0.0/16', ['10.0.0.0/8'])).toBe(false);
    expect(cidrWithin('::/0', ['0.0.0.0/0'])).toBe(false);
  });
});

describe('scopes', () => {
  it('are needed by method: tokens:read to read, tokens:write for anything else', () => {
    for (const method of ['GET', 'head', 'OPTIONS']) expect(requiredScope(method)).toBe('tokens:read');
    for (const method of ['POST', 'PATCH', 'DELETE', 'PUT', '', undefined])
      expect(requiredScope(method)).toBe('tokens:write');
  });

  it('bind tokens and not people', () => {
    const token: Caller = { userId: 'sa', authenticatedBy: 'ACCESS_TOKEN', secret: 'current', scopes: ['tokens:read'] };
    expect(() => assertScope(token, 'GET')).not.toThrow();
    expect(() => assertScope(token, 'POST')).toThrow(InsufficientScopeError);
    expect(() => assertScope({ userId: 'alice', authenticatedBy: 'JWT' }, 'POST')).not.toThrow();
  });

  it('reads an item without scopes as every scope, and drops what is not one', () => {
    expect(restrictionsOf({})).toStrictEqual({ scopes: ['tokens:read', 'tokens:write', 'api'], allowedCidrs: null });
    expect(restrictionsOf({ scopes: ['api', 'bogus', 'tokens:read'], allowedCidrs: ['10.0.0.0/8', 7] })).toStrictEqual({
      scopes: ['tokens:read', 'api'],
      allowedCidrs: ['10.0.0.0/8'],
    });
    expect(scopesFromText('api tokens:read')).toStrictEqual(['tokens:read', 'api']);
    expect(scopesFromText('api admin')).toBeUndefined();
  });

  it("pass through the authorizer's context, which without them is not ours (401)", () => {
    const caller: Caller = {
      userId: 'sa',
      authenticatedBy: 'ACCESS_TOKEN',
      secret: 'current',
      maxRps: null,
      expiresAt: null,
      scopes: ['api'],
      allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'],
    };
    const context = encodeCaller(caller);
    expect(context).toMatchObject({ scopes: 'api', allowedCidrs: '10.0.0.0/8,2001:db8::/32' });
    expect(decodeCaller(context)).toStrictEqual(caller);
    const { scopes: _scopes, ...without } = context;
    expect(() => decodeCaller(without)).toThrow(UnauthorizedError);
    expect(() => decodeCaller({ ...context, scopes: 'admin' })).toThrow(UnauthorizedError);
    expect(decodeCaller(encodeCaller({ ...caller, allowedCidrs: null })).allowedCidrs).toBeNull();
  });
});

describe("a token caller's bound, for scopes and networks", () => {
  const caller = { maxRps: null, expiresAt: null, scopes: ['tokens:read' as const], allowedCidrs: ['10.0.0.0/8'] };

  it('finds the first scope the caller lacks, and the first network outside its own (or none at all)', () => {
    expect(excessOver({ scopes: ['tokens:read', 'api'] }, caller)).toMatchObject({ field: 'scopes', token: 'api' });
    expect(excessOver({ allowedCidrs: null }, caller)).toMatchObject({ field: 'allowedCidrs', token: null });
    expect(excessOver({ allowedCidrs: ['10.1.0.0/16', '11.0.0.0/8'] }, caller)).toMatchObject({ token: '11.0.0.0/8' });
    expect(excessOver({ scopes: ['tokens:read'], allowedCidrs: ['10.1.0.0/16'] }, caller)).toBeUndefined();
    // A caller without restrictions bounds nothing; a measure left out is not compared.
    expect(excessOver({ scopes: ['api'], allowedCidrs: null }, { maxRps: null, expiresAt: null })).toBeUndefined();
    expect(excessOver({}, caller)).toBeUndefined();
  });

  it('refuses a change that widens a token beyond the caller, and lets one that narrows it', () => {
    const token = { status: 'ACTIVE' as const, maxRps: null, expiresAt: null };
    const wide = { ...token, scopes: ['tokens:read' as const, 'api' as const], allowedCidrs: null };
    const widened = { ...wide, scopes: [...wide.scopes, 'tokens:write' as const] };
    expect(() => checkChangeWithinCaller(caller, wide, widened)).toThrow(/may not widen the restrictions of/);
    const narrowed = { ...wide, scopes: ['tokens:read' as const] };
    expect(() => checkChangeWithinCaller(caller, wide, narrowed)).not.toThrow();
    const restricted = { ...token, scopes: ['tokens:read' as const], allowedCidrs: ['10.1.0.0/16'] };
    const opened = { ...restricted, allowedCidrs: ['10.0.0.0/8'] };
    expect(() => checkChangeWithinCaller(caller, restricted, opened)).not.toThrow();
    expect(() => checkChangeWithinCaller(caller, restricted, { ...restricted, allowedCidrs: null })).toThrow(
      /allowedCidrs must be set/,
    );
  });
});
