import { beforeEach, describe, expect, it } from '@jest/globals';
import type { CredentialStore } from '../../../shared/auth/ports.js';
import {
  ConcurrentUpdateError,
  RateLimitCapacityReachedError,
  RotationInProgressError,
  ServiceAccountNotFoundError,
  TokenLimitReachedError,
  TokenNameTakenError,
  TokenNotFoundError,
} from '../../../shared/kernel/errors.js';
import type { TokenEvent } from '../../../shared/kernel/events.js';
import { ids } from '../../../shared/kernel/ids.js';
import type { TokenBinding, TokenRecord } from '../../../shared/kernel/model.js';
import type { NewToken, Rotation, SecretRotation, StoredToken, TokenStore } from '../../../shared/tokens/ports.js';
import { contractEvent, contractRecord } from './fixtures.js';

/**
 * The token aggregate's ports (TokenStore, SecretRotation, CredentialStore), written once
 * and run against each adapter: the in-memory one in the fast tier
 * (test/unit/token-store-contract.test.ts), DynamoDB's against DynamoDB Local in the full
 * tier (test/integration/token-store-contract.test.ts). A behaviour the two do not share
 * fails here, so the use-case tests that run on the in-memory adapter mean what they say.
 */
export interface TokenAggregateAdapters {
  tokens: TokenStore;
  credentials: CredentialStore & SecretRotation;
  /** A service account of the directory, with the incarnation a create names. */
  account: { id: string; incarnation: string | undefined };
  /** Another service account, and a user who is not one. */
  otherAccount: { id: string; incarnation: string | undefined };
  user: string;
  /** Marks an account as leaving the directory (DirectoryStore.retire). */
  retire(accountId: string): Promise<void>;
  /** Removes a token's items as DynamoDB TTL would: behind the store's back. */
  removeBehindTheBack(token: StoredToken): Promise<void>;
  /** Gives a token a new key on both items, as the key worker does (a write of its own). */
  rekey(token: StoredToken, key: TokenBinding): Promise<void>;
  /** Marks a token's items as a create an earlier version left unfinished (`pendingSince`). */
  leavePending(token: StoredToken): Promise<void>;
}

/** The deployment's ceiling of tokens with a limit the adapters are made with (`rateLimitedMax`). */
export const CONTRACT_CEILING = 2;

const HOUR = 3_600_000;
const LIMIT = 50;
let clock = Date.parse('2030-01-01T00:00:00.000Z');
const tick = () => new Date((clock += 1000));

export function tokenStoreContract(adapter: string, setUp: () => Promise<TokenAggregateAdapters>): void {
  describe(`the token aggregate's ports (${adapter})`, () => {
    let a: TokenAggregateAdapters;
    beforeEach(async () => {
      a = await setUp();
    });

    const record = (name: string, over: Partial<TokenRecord> = {}, account = a.account): TokenRecord => ({
      ...contractRecord(account, name, ids.mintToken(), tick().toISOString()),
      ...over,
    });
    const newToken = (name: string, over: Partial<NewToken> = {}): NewToken => ({
      record: record(name),
      secretHash: ids.mintToken().secretHash,
      removeAfter: null,
      ...over,
    });
    const event = (token: TokenRecord, type: TokenEvent['type'] = 'token.updated'): TokenEvent =>
      contractEvent(token, type, tick());
    const stored = async (token: NewToken) => {
      const found = await a.tokens.get(token.record.serviceAccountId, token.record.name);
      if (!found) throw new Error(`${token.record.name} is not stored`);
      return found;
    };
    const made = async (name: string, over: Partial<NewToken> = {}) => {
      const token = newToken(name, over);
      await a.tokens.create(token, LIMIT, event(token.record, 'token.created'));
      return stored(token);
    };
    const rotation = (over: Partial<Rotation> = {}): Rotation => {
      const at = tick().toISOString();
      return {
        secretHash: ids.mintToken().secretHash,
        previous: { validUntil: new Date(Date.parse(at) + HOUR).toISOString(), lastUsedAt: null },
        rotatedAt: at,
        rotatedBy: 'alice',
        force: false,
        requestedAt: at,
        ...over,
      };
    };

    describe('create', () => {
      it('stores the token and its credential, which start unused', async () => {
        const token = newToken('ci');
        await a.tokens.create(token, LIMIT, event(token.record, 'token.created'));
        // A token created without restrictions reads as having every scope, from anywhere.
        const unrestricted = { scopes: ['tokens:read', 'tokens:write', 'api'], allowedCidrs: null };
        expect(await a.tokens.get(a.account.id, 'ci')).toEqual({ ...token.record, ...unrestricted });
        expect(await a.credentials.getCredential(token.record.lookupId)).toEqual({
          lookupId: token.record.lookupId,
          serviceAccountId: a.account.id,
          name: 'ci',
          secretHash: token.secretHash,
          status: 'ACTIVE',
          maxRps: null,
          expiresAt: null,
          lastUsedAt: null,
          ...(a.account.incarnation === undefined ? {} : { incarnation: a.account.incarnation }),
          ...unrestricted,
        });
      });

      it('refuses a name the account already has, and writes nothing', async () => {
        await made('ci');
        const again = newToken('ci');
        await expect(a.tokens.create(again, LIMIT)).rejects.toThrow(TokenNameTakenError);
        expect(await a.credentials.getCredential(again.record.lookupId)).toBeUndefined();
      });

      it('refuses a token for anyone but a service account of the directory, as it is now', async () => {
        const refused = (token: NewToken) =>
          expect(a.tokens.create(token, LIMIT)).rejects.toThrow(ServiceAccountNotFoundError);
        const other = (over: Partial<TokenRecord>) => newToken('ci', { record: record('ci', over) });
        await refused(other({ serviceAccountId: a.user }));
        await refused(other({ serviceAccountId: 'nobody' }));
        await refused(other({ incarnation: 'legacy' }));
        const { incarnation: _, ...withoutIncarnation } = record('ci');
        if (a.account.incarnation !== undefined) await refused(newToken('ci', { record: withoutIncarnation }));
        await a.retire(a.otherAccount.id);
        await refused(newToken('ci', { record: record('ci', {}, a.otherAccount) }));
        expect(await a.tokens.get(a.account.id, 'ci')).toBeUndefined();
      });

      it("keeps to the account's limit, counting deletes, and not another account's tokens", async () => {
        const first = await made('one');
        await a.tokens.create(newToken('two'), 2);
        await expect(a.tokens.create(newToken('three'), 2)).rejects.toThrow(TokenLimitReachedError);
        await a.tokens.create({ ...newToken('x'), record: record('x', {}, a.otherAccount) }, 1);
        await a.tokens.delete(first);
        await a.tokens.create(newToken('three'), 2);
        expect((await a.tokens.list(a.account.id, 10)).tokens.map((token) => token.name)).toEqual(['three', 'two']);
      });

      it('answers a lookup id or an event id already taken as a race (409), and writes nothing', async () => {
        const first = newToken('one');
        await a.tokens.create(first, LIMIT);
        const sameLookup = newToken('two', { record: { ...record('two'), lookupId: first.record.lookupId } });
        await expect(a.tokens.create(sameLookup, LIMIT)).rejects.toThrow(ConcurrentUpdateError);
        const created = event(first.record, 'token.created');
        await a.tokens.create(newToken('three'), LIMIT, created);
        await expect(a.tokens.create(newToken('four'), LIMIT, created)).rejects.toThrow(ConcurrentUpdateError);
        expect((await a.tokens.list(a.account.id, 10)).tokens.map((token) => token.name)).toEqual(['one', 'three']);
      });
    });

    describe('list', () => {
      it('pages by name in byte order, without keys, a cursor only when more follow', async () => {
        for (const name of ['b', 'a', 'B', 'c-1']) await made(name);
        await a.tokens.create({ ...newToken('z'), record: record('z', {}, a.otherAccount) }, LIMIT);
        const first = await a.tokens.list(a.account.id, 2);
        expect(first.tokens.map((token) => token.name)).toEqual(['B', 'a']);
        expect(first.lastName).toBe('a');
        const second = await a.tokens.list(a.account.id, 2, first.lastName);
        expect(second.tokens.map((token) => token.name)).toEqual(['b', 'c-1']);
        expect(second.lastName).toBeUndefined();
        expect(await a.tokens.list(a.account.id, 2, 'c-1')).toEqual({ tokens: [], lastName: undefined });
        const binding = { apiKeyId: 'k1', usageKey: 'u1' };
        await made('keyed', { binding });
        const listed = (await a.tokens.list(a.account.id, 10)).tokens.find((token) => token.name === 'keyed');
        expect(listed).not.toHaveProperty('apiKeyId');
        expect(await a.tokens.get(a.account.id, 'keyed')).toMatchObject(binding);
      });
    });

    describe('the ceiling of tokens with a limit', () => {
      it('takes a place with a limit set and gives it back with the limit or the token removed', async () => {
        const limited = (name: string) => newToken(name, { record: record(name, { maxRps: 5 }) });
        const first = await made('one', limited('one'));
        expect(first.capacityShard).toEqual(expect.any(Number));
        await a.tokens.create(limited('two'), LIMIT);
        const full = limited('three');
        await expect(a.tokens.create(full, LIMIT)).rejects.toThrow(RateLimitCapacityReachedError);
        expect(await a.credentials.getCredential(full.record.lookupId)).toBeUndefined();
        const unlimited = await made('free');
        expect(unlimited).not.toHaveProperty('capacityShard');
        const raise = a.tokens.update(unlimited, { maxRps: 1, onlyIfUnchanged: true }, tick().toISOString());
        await expect(raise).rejects.toThrow(RateLimitCapacityReachedError);
        expect((await a.tokens.get(a.account.id, 'free'))?.maxRps).toBeNull();
        const lifted = await a.tokens.update(first, { maxRps: null }, tick().toISOString());
        expect(lifted.capacityShard).toBeUndefined();
        expect(await a.tokens.get(a.account.id, 'one')).not.toHaveProperty('capacityShard');
        const raised = await a.tokens.update(unlimited, { maxRps: 1 }, tick().toISOString());
        expect(await a.tokens.get(a.account.id, 'free')).toEqual(raised);
        await expect(a.tokens.create(limited('four'), LIMIT)).rejects.toThrow(RateLimitCapacityReachedError);
        await a.tokens.delete((await a.tokens.get(a.account.id, 'two'))!);
        await a.tokens.create(limited('four'), LIMIT);
        // A federated token's place is its policy's.
        const federation = { policyId: 'p1', policyName: 'ci' };
        await a.tokens.create(newToken('fed', { record: record('fed', { maxRps: 5, federation }) }), LIMIT);
        expect(await a.tokens.get(a.account.id, 'fed')).not.toHaveProperty('capacityShard');
      });
    });

    describe('update', () => {
      it('changes the token and its credential together, and returns the token as written', async () => {
        const binding = { apiKeyId: 'k1', usageKey: 'u1' };
        const token = await made('ci', { binding });
        const changes = { status: 'SUSPENDED' as const, maxRps: 5, onlyIfUnchanged: true };
        const at = tick().toISOString();
        const updated = await a.tokens.update(token, changes, at, event(token));
        // The key is the key worker's to change: an update leaves it as it is.
        const expected = { ...token, status: 'SUSPENDED', maxRps: 5, updatedAt: at, capacityShard: expect.any(Number) };
        expect(updated).toEqual(expected);
        expect(await a.tokens.get(a.account.id, 'ci')).toEqual(updated);
        expect(await a.credentials.getCredential(token.lookupId)).toMatchObject({
          status: 'SUSPENDED',
          maxRps: 5,
          ...binding,
        });
      });

      it('keeps scopes and networks on both items, changed and removed together', async () => {
        const restricted = { scopes: ['tokens:read' as const], allowedCidrs: ['10.0.0.0/8'] };
        const token = await made('ci', { record: record('ci', restricted) });
        expect(token).toMatchObject(restricted);
        expect(await a.credentials.getCredential(token.lookupId)).toMatchObject(restricted);
        const wider = { scopes: ['tokens:read' as const, 'api' as const], allowedCidrs: null };
        const updated = await a.tokens.update(token, { ...wider, onlyIfUnchanged: true }, tick().toISOString());
        expect(updated).toMatchObject(wider);
        expect(await a.tokens.get(a.account.id, 'ci')).toMatchObject(wider);
        expect(await a.credentials.getCredential(token.lookupId)).toMatchObject(wider);
      });

      it('refuses a guarded write when anything on the token changed since the read, scopes included', async () => {
        const token = await made('ci');
        await a.tokens.update(token, { scopes: ['api'] }, tick().toISOString());
        const stale = a.tokens.update(token, { status: 'SUSPENDED', onlyIfUnchanged: true }, tick().toISOString());
        await expect(stale).rejects.toThrow(ConcurrentUpdateError);
        expect((await a.tokens.get(a.account.id, 'ci'))?.status).toBe('ACTIVE');
      });

      it('refuses a write on a stale read: 409 while the token is there, 404 once it is gone or replaced', async () => {
        const token = await made('ci', { binding: { apiKeyId: 'k1', usageKey: 'u1' } });
        await a.tokens.update(token, { status: 'SUSPENDED' }, tick().toISOString());
        const stale = a.tokens.update(token, { maxRps: 3, onlyIfUnchanged: true }, tick().toISOString());
        await expect(stale).rejects.toThrow(ConcurrentUpdateError);
        // Without the guard, a change on an older read of the same token lands; a new key does not stop it.
        await a.rekey(token, { apiKeyId: 'k9', usageKey: 'u9' });
        await a.tokens.update(token, { maxRps: 3 }, tick().toISOString());
        expect(await a.tokens.get(a.account.id, 'ci')).toMatchObject({ maxRps: 3, apiKeyId: 'k9' });
        await a.tokens.delete((await a.tokens.get(a.account.id, 'ci'))!);
        await expect(a.tokens.update(token, { status: 'ACTIVE' }, tick().toISOString())).rejects.toThrow(
          TokenNotFoundError,
        );
        await made('ci');
        await expect(a.tokens.update(token, { status: 'ACTIVE' }, tick().toISOString())).rejects.toThrow(
          TokenNotFoundError,
        );
        expect((await a.tokens.get(a.account.id, 'ci'))?.status).toBe('ACTIVE');
      });
    });

    describe('delete and the recount', () => {
      it('removes both items; 409 when its key changed since the read, 404 when it went', async () => {
        const token = await made('ci', { binding: { apiKeyId: 'k1', usageKey: 'u1' } });
        await a.rekey(token, { apiKeyId: 'k2', usageKey: 'u2' });
        const rekeyed = (await a.tokens.get(a.account.id, 'ci'))!;
        await expect(a.tokens.delete(token, event(token, 'token.deleted'))).rejects.toThrow(ConcurrentUpdateError);
        await a.tokens.delete(rekeyed, event(token, 'token.deleted'));
        expect(await a.tokens.get(a.account.id, 'ci')).toBeUndefined();
        expect(await a.credentials.getCredential(token.lookupId)).toBeUndefined();
        await expect(a.tokens.delete(rekeyed)).rejects.toThrow(TokenNotFoundError);
      });

      it('recounts an account whose tokens went behind its back, and only then', async () => {
        const gone = await made('gone');
        await made('kept');
        expect(await a.tokens.reconcileCount(a.account.id)).toBe(false);
        await a.removeBehindTheBack(gone);
        await expect(a.tokens.create(newToken('new'), 2)).rejects.toThrow(TokenLimitReachedError);
        expect(await a.tokens.reconcileCount(a.account.id)).toBe(true);
        await a.tokens.create(newToken('new'), 2);
        expect(await a.tokens.reconcileCount(a.account.id)).toBe(false);
      });
    });

    describe('recording use', () => {
      it('records a use at most once per interval, on the credential and the token', async () => {
        const token = await made('ci');
        const credential = (await a.credentials.getCredential(token.lookupId))!;
        const now = tick();
        expect(await a.credentials.recordUse(credential, now, 60)).toBe(true);
        expect(await a.credentials.recordUse(credential, new Date(now.getTime() + 30_000), 60)).toBe(false);
        expect((await a.credentials.getCredential(token.lookupId))?.lastUsedAt).toBe(now.toISOString());
        expect((await a.tokens.get(a.account.id, 'ci'))?.lastUsedAt).toBe(now.toISOString());
        expect(await a.credentials.recordUse(credential, new Date(now.getTime() + 61_000), 60)).toBe(true);
      });

      it('records nothing for a suspended token, a gone one, or a previous secret it does not have', async () => {
        const token = await made('ci');
        const credential = (await a.credentials.getCredential(token.lookupId))!;
        expect(await a.credentials.recordUse(credential, tick(), 60, 'previous')).toBe(false);
        await a.tokens.update(token, { status: 'SUSPENDED' }, tick().toISOString());
        expect(await a.credentials.recordUse(credential, tick(), 60)).toBe(false);
        expect((await a.credentials.getCredential(token.lookupId))?.lastUsedAt).toBeNull();
        await a.tokens.delete((await a.tokens.get(a.account.id, 'ci'))!);
        expect(await a.credentials.recordUse(credential, tick(), 60)).toBe(false);
      });

      it('records a use of the previous secret on its grace period, and a reuse once per interval', async () => {
        const token = await made('ci');
        const rotated = await a.credentials.rotate(token, rotation(), event(token, 'token.rotated'));
        const credential = (await a.credentials.getCredential(token.lookupId))!;
        const now = tick();
        expect(await a.credentials.recordUse(credential, now, 60, 'previous')).toBe(true);
        expect((await a.tokens.get(a.account.id, 'ci'))?.previousSecret?.lastUsedAt).toBe(now.toISOString());
        expect((await a.credentials.getCredential(token.lookupId))?.previousSecret?.lastUsedAt).toBe(now.toISOString());
        const reuse = event(rotated, 'token.used_after_rotation');
        expect(await a.credentials.recordReuse(credential, reuse, 60)).toBe(true);
        expect(await a.credentials.recordReuse(credential, event(rotated, 'token.used_after_rotation'), 60)).toBe(
          false,
        );
        expect((await a.credentials.getCredential(token.lookupId))?.reuseReportedAt).toBe(reuse.time);
      });
    });

    describe('rotate', () => {
      it('gives a new secret and keeps the old one for its grace period, on both items', async () => {
        const token = await made('ci');
        const before = (await a.credentials.getCredential(token.lookupId))!;
        const rotate = rotation();
        const rotated = await a.credentials.rotate(token, rotate, event(token, 'token.rotated'));
        const expected = { rotatedAt: rotate.rotatedAt, rotatedBy: 'alice', previousSecret: rotate.previous };
        expect(rotated).toEqual({ ...token, ...expected, updatedAt: rotate.rotatedAt });
        expect(await a.tokens.get(a.account.id, 'ci')).toEqual(rotated);
        const after = await a.credentials.getCredential(token.lookupId);
        expect(after).toMatchObject({ secretHash: rotate.secretHash, previousSecretHash: before.secretHash });
        expect(after?.previousSecret).toEqual(rotate.previous);
        expect(after).not.toHaveProperty('retiredSecrets');
      });

      it('refuses a rotation while a grace period runs (unless forced), and one on a stale read', async () => {
        const token = await made('ci');
        const first = rotation();
        await a.credentials.rotate(token, first, event(token, 'token.rotated'));
        const running = a.credentials.rotate(token, rotation(), event(token, 'token.rotated'));
        await expect(running).rejects.toThrow(new RotationInProgressError(first.previous.validUntil));
        // A request that arrived before the first rotation landed loses, forced or not.
        const late = rotation({ force: true, requestedAt: new Date(Date.parse(first.rotatedAt) - 1).toISOString() });
        await expect(a.credentials.rotate(token, late, event(token))).rejects.toThrow(ConcurrentUpdateError);
        const forced = rotation({ force: true });
        await a.credentials.rotate(token, forced, event(token, 'token.rotated'));
        const after = await a.credentials.getCredential(token.lookupId);
        expect(after?.secretHash).toBe(forced.secretHash);
        expect(after?.previousSecretHash).toBe(first.secretHash);
        expect(after?.retiredSecrets?.length).toBe(1);
      });

      it('refuses a gone token (404) and a pending one (409), changing nothing', async () => {
        const gone = await made('gone');
        await a.tokens.delete(gone);
        await expect(a.credentials.rotate(gone, rotation(), event(gone))).rejects.toThrow(TokenNotFoundError);
        await a.leavePending(await made('pending'));
        const pending = (await a.tokens.get(a.account.id, 'pending'))!;
        expect(pending.pendingSince).toBeDefined();
        const before = await a.credentials.getCredential(pending.lookupId);
        await expect(a.credentials.rotate(pending, rotation(), event(pending))).rejects.toThrow(ConcurrentUpdateError);
        expect(await a.credentials.getCredential(pending.lookupId)).toEqual(before);
      });
    });
  });
}
