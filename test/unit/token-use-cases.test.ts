import { describe, expect, it } from '@jest/globals';
import {
  ConcurrentUpdateError,
  RateLimitCapacityReachedError,
  RotationInProgressError,
  TokenExpiredError,
  TokenLimitReachedError,
  TokenNameTakenError,
  TokenNotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../../shared/kernel/errors.js';
import { hashSecret, parseToken, TOKEN_PREFIX } from '../../shared/kernel/token-format.js';
import { ExceedsCallerLimitsError } from '../../shared/tokens/caller-limits.js';
import { createToken } from '../../shared/tokens/create-token.js';
import { deleteToken } from '../../shared/tokens/delete-token.js';
import { listTokens } from '../../shared/tokens/list-tokens.js';
import { tokenKeyOwner } from '../../shared/tokens/ports.js';
import { rotateToken } from '../../shared/tokens/rotate-token.js';
import { updateToken } from '../../shared/tokens/update-token.js';
import { memoryTokens } from '../support/memory-tokens.js';

/**
 * The token aggregate's use cases, on the in-memory adapters that the port-contract suite
 * holds to DynamoDB's: the rules of making, changing, rotating and deleting a token, and
 * what the authorizer then makes of its secrets. Over real HTTP and DynamoDB Local, the
 * same rules are tested end to end in test/integration/ and test/security/.
 */

const DAY = 86_400;
const input = (name: string, over: Partial<Parameters<typeof createToken>[1]> = {}) => ({
  serviceAccountId: 'sa-etl',
  name,
  maxRps: null,
  expiresAt: null,
  createdBy: 'alice',
  ...over,
});

describe('creating a token', () => {
  it('hands out its secret once, stores only its hash, and the token authenticates', async () => {
    const t = memoryTokens();
    const created = await createToken(t.deps, input('ci'));
    const { lookupId, secret } = parseToken(created.token)!;
    expect(created.view).toMatchObject({
      name: 'ci',
      status: 'ACTIVE',
      kind: 'STORED',
      prefix: `${TOKEN_PREFIX}${lookupId}`,
    });
    expect(JSON.stringify(created.view)).not.toContain(secret);
    const credential = await t.deps.credentials.getCredential(lookupId);
    expect(credential?.secretHash).toBe(hashSecret(secret));
    expect(JSON.stringify(await t.deps.tokens.get('sa-etl', 'ci'))).not.toContain(secret);
    const { caller } = await t.present(created.token);
    expect(caller).toMatchObject({
      userId: 'sa-etl',
      tokenName: 'ci',
      authenticatedBy: 'ACCESS_TOKEN',
      secret: 'current',
    });
    await expect(t.present(`${created.token.slice(0, -1)}${created.token.endsWith('A') ? 'B' : 'A'}`)).rejects.toThrow(
      UnauthorizedError,
    );
  });

  it('refuses an expiry in the past or beyond the longest lifetime', async () => {
    const t = memoryTokens();
    const at = (days: number) => new Date(t.deps.clock().getTime() + days * DAY * 1000).toISOString();
    await expect(createToken(t.deps, input('past', { expiresAt: at(-1) }))).rejects.toThrow(ValidationError);
    await expect(createToken(t.deps, input('far', { expiresAt: at(366) }))).rejects.toThrow(ValidationError);
    expect((await createToken(t.deps, input('ok', { expiresAt: at(365) }))).view.expiresAt).toBe(at(365));
    expect((await listTokens(t.deps, 'sa-etl', 10)).tokens.map((token) => token.name)).toEqual(['ok']);
  });

  it('tells the key worker of a token with a limit, not of one without; both work at once', async () => {
    const t = memoryTokens();
    const limited = await createToken(t.deps, input('limited', { maxRps: 5 }));
    await createToken(t.deps, input('free'));
    const stored = await t.deps.tokens.get('sa-etl', 'limited');
    expect(stored?.pendingSince).toBeUndefined();
    // Its key is the worker's to make: until then it presents its tier's pooled key.
    expect(stored?.apiKeyId).toBeUndefined();
    expect(t.deps.rateLimits.changes).toEqual([{ owner: tokenKeyOwner(stored!) }]);
    expect((await t.present(limited.token)).caller.tokenName).toBe('limited');
  });

  it('tells the worker nothing when the name is taken, and keeps a token whose message was lost', async () => {
    const t = memoryTokens();
    await createToken(t.deps, input('ci', { maxRps: 5 }));
    await expect(createToken(t.deps, input('ci', { maxRps: 5 }))).rejects.toThrow(TokenNameTakenError);
    expect(t.deps.rateLimits.changes).toHaveLength(1);
    t.deps.rateLimits.failing = new Error('the queue is down');
    const other = await createToken(t.deps, input('other', { maxRps: 5 }));
    expect(await t.deps.tokens.get('sa-etl', 'other')).toMatchObject({ maxRps: 5 });
    // Reconcile finds it without a key; the failure is reported, not thrown.
    expect(t.compensationFailures).toEqual([`queue the key of token ${parseToken(other.token)!.lookupId}`]);
  });

  it("refuses a token with a limit at the deployment's ceiling, and one without a limit still goes", async () => {
    const t = memoryTokens({ rateLimitedMax: 1 });
    await createToken(t.deps, input('one', { maxRps: 5 }));
    await expect(createToken(t.deps, input('two', { maxRps: 5 }))).rejects.toThrow(RateLimitCapacityReachedError);
    await createToken(t.deps, input('two'));
    await expect(updateToken(t.deps, 'sa-etl', 'two', { maxRps: 5 })).rejects.toThrow(RateLimitCapacityReachedError);
    await updateToken(t.deps, 'sa-etl', 'one', { maxRps: null });
    expect((await updateToken(t.deps, 'sa-etl', 'two', { maxRps: 5 })).maxRps).toBe(5);
    expect(t.deps.rateLimits.changes).toHaveLength(3);
  });

  it("keeps to the account's limit, recounting once when tokens went behind the counter's back", async () => {
    const t = memoryTokens({ limitPerAccount: 2 });
    await createToken(t.deps, input('one'));
    const two = await createToken(t.deps, input('two'));
    await expect(createToken(t.deps, input('three'))).rejects.toThrow(TokenLimitReachedError);
    // DynamoDB TTL removes an expired token's items without touching the counter.
    t.table.removeToken('sa-etl', 'two');
    t.table.removeCredential(parseToken(two.token)!.lookupId);
    await createToken(t.deps, input('three'));
    await expect(createToken(t.deps, input('four'))).rejects.toThrow(TokenLimitReachedError);
  });

  it('makes no token worth more than a calling token: no higher limit, no later expiry', async () => {
    const t = memoryTokens();
    const expiresAt = new Date(t.deps.clock().getTime() + 10 * DAY * 1000).toISOString();
    const callerLimits = { maxRps: 10, expiresAt };
    const refused = (over: object) => expect(createToken(t.deps, input('x', { callerLimits, ...over }))).rejects;
    await refused({ maxRps: null, expiresAt }).toThrow(ExceedsCallerLimitsError);
    await refused({ maxRps: 11, expiresAt }).toThrow(ExceedsCallerLimitsError);
    await refused({ maxRps: 10, expiresAt: null }).toThrow(ExceedsCallerLimitsError);
    await refused({ maxRps: 10, expiresAt: new Date(Date.parse(expiresAt) + 1000).toISOString() }).toThrow(
      ExceedsCallerLimitsError,
    );
    await createToken(t.deps, input('x', { callerLimits, maxRps: 10, expiresAt }));
    expect(t.deps.rateLimits.changes).toHaveLength(1);
  });
});

describe('changing a token', () => {
  it('suspends and reactivates it, the authorizer with it, its key left as it is', async () => {
    const t = memoryTokens();
    const { token } = await createToken(t.deps, input('ci', { maxRps: 5 }));
    expect((await updateToken(t.deps, 'sa-etl', 'ci', { status: 'SUSPENDED' })).status).toBe('SUSPENDED');
    await expect(t.present(token)).rejects.toThrow(UnauthorizedError);
    await updateToken(t.deps, 'sa-etl', 'ci', { status: 'ACTIVE' });
    expect((await t.present(token)).caller.userId).toBe('sa-etl');
    expect(t.deps.rateLimits.changes).toHaveLength(1);
  });

  it('tells the key worker of a new limit and of a limit removed', async () => {
    const t = memoryTokens();
    await createToken(t.deps, input('ci', { maxRps: 5 }));
    expect((await updateToken(t.deps, 'sa-etl', 'ci', { maxRps: 8 })).maxRps).toBe(8);
    const owner = tokenKeyOwner((await t.deps.tokens.get('sa-etl', 'ci'))!);
    expect(t.deps.rateLimits.changes).toEqual([{ owner }, { owner }]);
    await updateToken(t.deps, 'sa-etl', 'ci', { maxRps: null });
    expect(t.deps.rateLimits.changes).toHaveLength(3);
    expect((await t.deps.credentials.getCredential((await t.deps.tokens.get('sa-etl', 'ci'))!.lookupId))?.maxRps).toBe(
      null,
    );
  });

  it('lets a calling token neither raise a limit beyond its own nor reactivate a token worth more', async () => {
    const t = memoryTokens();
    await createToken(t.deps, input('slow', { maxRps: 2 }));
    await createToken(t.deps, input('free'));
    await updateToken(t.deps, 'sa-etl', 'free', { status: 'SUSPENDED' });
    const callerLimits = { maxRps: 5, expiresAt: null };
    const change = (name: string, changes: object) => updateToken(t.deps, 'sa-etl', name, changes, callerLimits);
    await expect(change('slow', { maxRps: 6 })).rejects.toThrow(ExceedsCallerLimitsError);
    await expect(change('free', { status: 'ACTIVE' })).rejects.toThrow(ExceedsCallerLimitsError);
    // Making a token worth less is always allowed: a lower limit, a suspension.
    expect((await change('slow', { maxRps: 1 })).maxRps).toBe(1);
    expect((await change('free', { status: 'SUSPENDED' })).status).toBe('SUSPENDED');
    expect((await change('free', { status: 'ACTIVE', maxRps: 5 })).status).toBe('ACTIVE');
  });

  it('tries again from a fresh read when another change lands between its read and its write', async () => {
    const t = memoryTokens();
    await createToken(t.deps, input('ci', { maxRps: 5 }));
    const write = t.deps.tokens.update.bind(t.deps.tokens);
    let raced = false;
    t.deps.tokens.update = async (current, changes, at, event) => {
      if (!raced) {
        raced = true;
        await write(current, { status: 'SUSPENDED' }, at);
      }
      return write(current, changes, at, event);
    };
    expect((await updateToken(t.deps, 'sa-etl', 'ci', { maxRps: 9 })).maxRps).toBe(9);
    const stored = await t.deps.tokens.get('sa-etl', 'ci');
    expect(stored).toMatchObject({ status: 'SUSPENDED', maxRps: 9 });
    // The first attempt wrote nothing and told the worker nothing; the second told it once.
    expect(t.deps.rateLimits.changes).toHaveLength(2);
    expect(t.compensationFailures).toEqual([]);
  });

  it('refuses a token that is not there', async () => {
    const t = memoryTokens();
    await expect(updateToken(t.deps, 'sa-etl', 'nope', { status: 'SUSPENDED' })).rejects.toThrow(TokenNotFoundError);
  });
});

describe('rotating a token', () => {
  it('hands out a new secret; the old one works for its grace period, then is refused and reported', async () => {
    const t = memoryTokens();
    const { token: old } = await createToken(t.deps, input('ci'));
    const rotated = await rotateToken(t.deps, { serviceAccountId: 'sa-etl', name: 'ci', gracePeriodSeconds: 3600 });
    expect(rotated.view.previousSecret?.validUntil).toBe(new Date(t.deps.clock().getTime() + 3_600_000).toISOString());
    expect((await t.present(rotated.token)).caller.secret).toBe('current');
    expect((await t.present(old)).caller.secret).toBe('previous');
    t.advance(3601);
    await expect(t.present(old)).rejects.toThrow(UnauthorizedError);
    const { lookupId } = parseToken(old)!;
    expect((await t.deps.credentials.getCredential(lookupId))?.reuseReportedAt).toBe(t.deps.clock().toISOString());
    expect(t.table.accountEvents('sa-etl').map((event) => event.type)).toContain('token.used_after_rotation');
  });

  it('refuses a second rotation while a grace period runs, unless forced; the grace never outlasts the token', async () => {
    const t = memoryTokens();
    const expiresAt = new Date(t.deps.clock().getTime() + 600_000).toISOString();
    await createToken(t.deps, input('ci', { expiresAt }));
    const rotate = (force?: boolean) => rotateToken(t.deps, { serviceAccountId: 'sa-etl', name: 'ci', force });
    expect((await rotate()).view.previousSecret?.validUntil).toBe(expiresAt);
    await expect(rotate()).rejects.toThrow(RotationInProgressError);
    const forced = await rotate(true);
    expect(forced.view.rotatedAt).toBe(t.deps.clock().toISOString());
    t.advance(601);
    await expect(rotate(true)).rejects.toThrow(TokenExpiredError);
  });

  it('lets a calling token rotate only a token worth no more than itself', async () => {
    const t = memoryTokens();
    await createToken(t.deps, input('free'));
    const callerLimits = { maxRps: 5, expiresAt: null };
    const rotate = rotateToken(t.deps, { serviceAccountId: 'sa-etl', name: 'free', callerLimits });
    await expect(rotate).rejects.toThrow(ExceedsCallerLimitsError);
    expect((await t.deps.tokens.get('sa-etl', 'free'))?.rotatedAt).toBeNull();
  });

  it('refuses a create an earlier version left unfinished (409), and a token that is not there (404)', async () => {
    const t = memoryTokens();
    await createToken(t.deps, input('ci', { maxRps: 5 }));
    t.table.setToken({ ...(await t.deps.tokens.get('sa-etl', 'ci'))!, pendingSince: '2020-01-01T00:00:00.000Z' });
    const rotating = rotateToken(t.deps, { serviceAccountId: 'sa-etl', name: 'ci' });
    await expect(rotating).rejects.toThrow(ConcurrentUpdateError);
    await expect(rotateToken(t.deps, { serviceAccountId: 'sa-etl', name: 'nope' })).rejects.toThrow(TokenNotFoundError);
  });
});

describe('deleting and listing tokens', () => {
  it('deletes the token and its credential, and tells the key worker of its key; its secret is refused', async () => {
    const t = memoryTokens();
    const { token } = await createToken(t.deps, input('ci', { maxRps: 5 }));
    // The key the worker made meanwhile.
    const stored = (await t.deps.tokens.get('sa-etl', 'ci'))!;
    t.table.setToken({ ...stored, apiKeyId: 'k1', usageKey: 'u1' });
    // Events are ordered by their ids, made from the time: a second later, the delete's follows.
    t.advance(1);
    await deleteToken(t.deps, 'sa-etl', 'ci');
    expect(await t.deps.tokens.get('sa-etl', 'ci')).toBeUndefined();
    expect(t.deps.rateLimits.changes.at(-1)).toEqual({ owner: tokenKeyOwner(stored), deletedKeyId: 'k1' });
    await expect(t.present(token)).rejects.toThrow(UnauthorizedError);
    await expect(deleteToken(t.deps, 'sa-etl', 'ci')).rejects.toThrow(TokenNotFoundError);
    expect(t.table.accountEvents('sa-etl').map((event) => event.type)).toEqual(['token.created', 'token.deleted']);
  });

  it('lists an account by name, a page at a time, and no other account', async () => {
    const t = memoryTokens();
    for (const name of ['c', 'a', 'b']) await createToken(t.deps, input(name));
    await createToken(t.deps, input('z', { serviceAccountId: 'sa-reporting' }));
    const first = await listTokens(t.deps, 'sa-etl', 2);
    expect(first.tokens.map((token) => token.name)).toEqual(['a', 'b']);
    expect(first.nextToken).not.toBeNull();
    const second = await listTokens(t.deps, 'sa-etl', 2, 'b');
    expect(second).toMatchObject({ tokens: [expect.objectContaining({ name: 'c' })], nextToken: null });
  });
});
