import { describe, expect, it } from '@jest/globals';
import { decodeCaller, encodeCaller } from '../../shared/auth/authorizer-context.js';
import { presentedSecret, REPLACED_SECRETS_KEPT, retiredAfterRotation } from '../../shared/kernel/replaced-secrets.js';
import { PreviousSecretReadOnlyError, UnauthorizedError } from '../../shared/kernel/errors.js';
import { changeOrigin } from '../../shared/http/request-origin.js';
import { assertSecretMayAct } from '../../shared/middleware/authorization.js';
import type { Caller, TokenCredential } from '../../shared/kernel/model.js';
import { hashSecret, mintToken, parseToken } from '../../shared/kernel/token-format.js';
import { excessOver } from '../../shared/tokens/caller-limits.js';

/** Which secret acted, from the authorizer to the audit trail, and what a replaced one may still do. */

const META = { requestId: 'r', sourceIp: '203.0.113.9', userAgent: 'ci/1' };
const tokenCaller = (secret: Caller['secret']): Caller => ({
  userId: 'sa-etl',
  authenticatedBy: 'ACCESS_TOKEN',
  tokenName: 'ci',
  maxRps: null,
  expiresAt: null,
  ...(secret === undefined ? {} : { secret }),
});

describe('which secret acted', () => {
  it('passes from the authorizer to the functions, and into the actor of every change', () => {
    for (const secret of ['current', 'previous'] as const) {
      const caller = decodeCaller(encodeCaller(tokenCaller(secret)));
      expect(caller.secret).toBe(secret);
      const actor = { userId: 'sa-etl', authenticatedBy: 'ACCESS_TOKEN', tokenName: 'ci', secret };
      expect(changeOrigin(caller, META).actor).toStrictEqual(actor);
    }
    // People have no secrets of ours: their actor says nothing of one.
    const person = decodeCaller(encodeCaller({ userId: 'alice', authenticatedBy: 'JWT' }));
    expect(changeOrigin(person, META).actor).toStrictEqual({ userId: 'alice', authenticatedBy: 'JWT' });
  });

  it('refuses a token caller whose context does not say which secret acted (401)', () => {
    const { secret: _secret, ...context } = encodeCaller(tokenCaller('current'));
    expect(() => decodeCaller(context)).toThrow(UnauthorizedError);
    expect(() => decodeCaller({ ...context, secret: 'retired' })).toThrow(UnauthorizedError);
  });
});

describe('a replaced secret in its grace period', () => {
  it('may read, and nothing else, on any route: only GET, HEAD and OPTIONS pass', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'get']) {
      expect(() => assertSecretMayAct(tokenCaller('previous'), method)).not.toThrow();
    }
    for (const method of ['POST', 'PATCH', 'DELETE', 'PUT', '', undefined]) {
      expect(() => assertSecretMayAct(tokenCaller('previous'), method)).toThrow(PreviousSecretReadOnlyError);
    }
    for (const caller of [tokenCaller('current'), { userId: 'alice', authenticatedBy: 'JWT' } as Caller]) {
      expect(() => assertSecretMayAct(caller, 'POST')).not.toThrow();
    }
  });
});

describe('the secrets a rotation replaced', () => {
  const now = new Date('2027-03-01T00:00:00.000Z');
  const minted = Array.from({ length: 4 }, () => mintToken());
  const secretOf = (index: number) => parseToken(minted[index]!.token)!.secret;
  const credential = (extra: Partial<TokenCredential>): TokenCredential => ({
    lookupId: 'l',
    serviceAccountId: 'sa',
    name: 'ci',
    secretHash: minted[0]!.secretHash,
    status: 'ACTIVE',
    maxRps: null,
    expiresAt: null,
    lastUsedAt: null,
    ...extra,
  });

  it('tells current, previous in its grace period, and retired apart; anything else is not the token’s', () => {
    const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString();
    const stored = credential({
      previousSecretHash: minted[1]!.secretHash,
      previousSecret: { validUntil: new Date(now.getTime() + 60_000).toISOString(), lastUsedAt: null },
      retiredSecrets: [
        { hash: minted[2]!.secretHash, retiredAt: daysAgo(89) },
        { hash: hashSecret('x'.repeat(43)), retiredAt: daysAgo(91) },
      ],
    });
    expect(presentedSecret(stored, secretOf(0), now)).toStrictEqual({ secret: 'current' });
    expect(presentedSecret(stored, secretOf(1), now)).toStrictEqual({ secret: 'previous' });
    expect(presentedSecret(stored, secretOf(2), now)).toStrictEqual({ retiredAt: daysAgo(89) });
    expect(presentedSecret(stored, 'x'.repeat(43), now)).toBeUndefined();
    expect(presentedSecret(stored, secretOf(3), now)).toBeUndefined();
    // Past its grace period, the previous secret is a retired one.
    const later = new Date(now.getTime() + 120_000);
    expect(presentedSecret(stored, secretOf(1), later)).toStrictEqual({ retiredAt: stored.previousSecret!.validUntil });
  });

  it('retires the previous secret at a forced rotation, keeps the newest, and drops the unwatched', () => {
    const at = now.toISOString();
    const running = { validUntil: new Date(now.getTime() + 3_600_000).toISOString(), lastUsedAt: null };
    const secondsAgo = (n: number) => new Date(now.getTime() - n * 1000).toISOString();
    const many = Array.from({ length: 12 }, (_, i) => ({ hash: `h${i}`, retiredAt: secondsAgo(i + 1) }));
    const stored = credential({ previousSecretHash: 'prev', previousSecret: running, retiredSecrets: many });
    const after = retiredAfterRotation(stored, at);
    // Its grace period ends with the rotation that forced it out.
    expect(after[0]).toStrictEqual({ hash: 'prev', retiredAt: at });
    // With the new previous secret, the last ten replaced.
    expect(after).toHaveLength(REPLACED_SECRETS_KEPT - 1);
    const kept = many.slice(0, REPLACED_SECRETS_KEPT - 2).map((entry) => entry.hash);
    expect(after.map((entry) => entry.hash)).toStrictEqual(['prev', ...kept]);
    const old = [{ hash: 'old', retiredAt: new Date(now.getTime() - 90 * 86_400_000).toISOString() }];
    expect(retiredAfterRotation(credential({ retiredSecrets: old }), at)).toStrictEqual([]);
  });
});

describe('what a token is worth', () => {
  const caller = { maxRps: 5, expiresAt: '2027-01-01T00:00:00.000Z' };
  it('is no more than the caller’s when neither its limit nor its expiry is beyond the caller’s', () => {
    expect(excessOver({ maxRps: 5, expiresAt: '2027-01-01T00:00:00.000Z' }, caller)).toBeUndefined();
    expect(excessOver({ maxRps: 1 }, caller)).toBeUndefined();
    expect(excessOver({ maxRps: null, expiresAt: null }, { maxRps: null, expiresAt: null })).toBeUndefined();
    expect(excessOver({ maxRps: null }, caller)).toStrictEqual({ field: 'maxRps', caller: 5, token: null });
    expect(excessOver({ maxRps: 6 }, caller)).toStrictEqual({ field: 'maxRps', caller: 5, token: 6 });
    const never = { field: 'expiresAt', caller: caller.expiresAt, token: null };
    expect(excessOver({ expiresAt: null }, caller)).toStrictEqual(never);
    expect(excessOver({ expiresAt: '2027-01-01T00:00:00.001Z' }, caller)?.field).toBe('expiresAt');
  });
});
