import { beforeEach, describe, expect, it } from '@jest/globals';
import type { CredentialStore } from '../../../shared/auth/ports.js';
import { ids } from '../../../shared/kernel/ids.js';
import type { KeyWorkerParts } from '../../../shared/ratelimit/key-worker.js';
import type { StoredToken, TokenStore } from '../../../shared/tokens/ports.js';
import { contractEvent, contractRecord } from './fixtures.js';

/**
 * The key worker's table side (KeyOwners), written once and run against each adapter: the
 * in-memory one in the fast tier (test/unit/key-owners-contract.test.ts), DynamoDB's in the
 * full tier (test/integration/key-owners-contract.test.ts). The control-plane simulation
 * runs the worker on the in-memory one; this holds it to what the table does.
 */
export interface KeyOwnersAdapters {
  owners: KeyWorkerParts['owners'];
  tokens: TokenStore;
  credentials: CredentialStore;
  account: { id: string; incarnation: string | undefined };
}

const KEY = { apiKeyId: 'k1', usageKey: 'v'.repeat(40) };
const READY = { ...KEY, keyPlanId: 'plan-5', keyRps: 5, keyReadyAt: '2030-01-01T00:01:00.000Z' };
/** A token as the owner of its key (the token side of KeyOwner, so a test can change one field). */
const tokenKeyOwner = ({ serviceAccountId, name, lookupId }: StoredToken) => ({
  kind: 'token' as const,
  serviceAccountId,
  name,
  lookupId,
});
let clock = Date.parse('2030-01-01T00:00:00.000Z');
const tick = () => new Date((clock += 1000));

export function keyOwnersContract(adapter: string, setUp: () => Promise<KeyOwnersAdapters>): void {
  describe(`the key worker's owners (${adapter})`, () => {
    let a: KeyOwnersAdapters;
    beforeEach(async () => {
      a = await setUp();
    });

    const made = async (name: string, maxRps: number | null = 5, more: object = {}): Promise<StoredToken> => {
      const record = { ...contractRecord(a.account, name, ids.mintToken(), tick().toISOString()), maxRps, ...more };
      const token = { record, secretHash: ids.mintToken().secretHash, removeAfter: null };
      await a.tokens.create(token, 50, contractEvent(record, 'token.created', tick()));
      return (await a.tokens.get(a.account.id, name))!;
    };
    const keyOf = async (token: StoredToken) => {
      const stored = await a.tokens.get(token.serviceAccountId, token.name);
      const credential = await a.credentials.getCredential(token.lookupId);
      const pick = (item: object | undefined) =>
        Object.fromEntries(Object.entries(item ?? {}).filter(([field]) => field in READY));
      return { token: pick(stored), credential: pick(credential) };
    };

    it('reads a token’s limit and key; a token gone, or a name now another token’s, is no owner', async () => {
      const token = await made('one');
      expect(await a.owners.read(tokenKeyOwner(token))).toStrictEqual({ maxRps: 5, key: {} });
      expect(await a.owners.read({ ...tokenKeyOwner(token), lookupId: ids.mintToken().lookupId })).toBeUndefined();
      expect(await a.owners.read({ ...tokenKeyOwner(token), name: 'gone' })).toBeUndefined();
      expect(await a.owners.read(tokenKeyOwner(await made('free', null)))).toStrictEqual({ maxRps: null, key: {} });
    });

    it('counts a token a federation exchange issued as no owner: it presents its policy’s key', async () => {
      const federated = await made('federated', 10, { federation: { policyId: 'fp-1', policyName: 'ci' } });
      expect(await a.owners.read(tokenKeyOwner(federated))).toBeUndefined();
    });

    it('writes a key on the token and its credential alike, only while the key is still the one expected', async () => {
      const owner = tokenKeyOwner(await made('one'));
      expect(await a.owners.write(owner, 'another', KEY)).toBe(false);
      expect(await a.owners.write(owner, undefined, KEY)).toBe(true);
      expect(await a.owners.write(owner, undefined, READY)).toBe(false);
      expect(await a.owners.write(owner, 'k1', READY)).toBe(true);
      expect(await a.owners.read(owner)).toStrictEqual({ maxRps: 5, key: READY });
      expect(await keyOf((await a.tokens.get(owner.serviceAccountId, 'one'))!)).toStrictEqual({
        token: READY,
        credential: READY,
      });
      // Fewer fields: the rest are removed (a key presented no more, before it is deleted).
      expect(await a.owners.write(owner, 'k1', KEY)).toBe(true);
      expect(await a.owners.read(owner)).toStrictEqual({ maxRps: 5, key: KEY });
      expect(await a.owners.write(owner, 'k1', null)).toBe(true);
      expect(await a.owners.read(owner)).toStrictEqual({ maxRps: 5, key: {} });
    });

    it('writes nothing for a token that went, or whose name another token took', async () => {
      const token = await made('one');
      const stale = { ...tokenKeyOwner(token), lookupId: ids.mintToken().lookupId };
      expect(await a.owners.write(stale, undefined, KEY)).toBe(false);
      expect(await a.owners.write({ ...tokenKeyOwner(token), name: 'gone' }, undefined, KEY)).toBe(false);
      expect(await keyOf(token)).toStrictEqual({ token: {}, credential: {} });
    });

    it('takes a key away as unlimited only while the token still has no limit', async () => {
      const limited = tokenKeyOwner(await made('limited'));
      const free = tokenKeyOwner(await made('free', null));
      for (const owner of [limited, free]) expect(await a.owners.write(owner, undefined, KEY)).toBe(true);
      expect(await a.owners.write(limited, 'k1', null, true)).toBe(false);
      expect(await a.owners.read(limited)).toStrictEqual({ maxRps: 5, key: KEY });
      expect(await a.owners.write(free, 'k1', null, true)).toBe(true);
      expect(await a.owners.read(free)).toStrictEqual({ maxRps: null, key: {} });
    });
  });
}
