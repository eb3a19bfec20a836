import { beforeEach, describe, expect, it } from '@jest/globals';
import type { TokenEvents } from '../../../shared/audit/ports.js';
import type { CredentialStore } from '../../../shared/auth/ports.js';
import type { TokenEvent, TokenEventType } from '../../../shared/kernel/events.js';
import { ids } from '../../../shared/kernel/ids.js';
import type { TokenRecord } from '../../../shared/kernel/model.js';
import type { TokenExposures } from '../../../shared/scanning/ports.js';
import type { SecretRotation, StoredToken, TokenStore } from '../../../shared/tokens/ports.js';
import { contractEvent, contractRecord } from './fixtures.js';

/**
 * Secret scanning's store (TokenExposures), written once and run against each adapter: the
 * in-memory one in the fast tier (test/unit/token-exposures-contract.test.ts), DynamoDB's
 * against DynamoDB Local in the full tier (test/integration/token-exposures-contract.test.ts).
 */
export interface TokenExposuresAdapters {
  exposures: TokenExposures;
  tokens: TokenStore;
  credentials: CredentialStore & SecretRotation;
  events: TokenEvents;
  /** A service account of the directory, with its incarnation. */
  account: { id: string; incarnation: string | undefined };
}

let clock = Date.parse('2033-01-01T00:00:00.000Z');
const tick = () => new Date((clock += 1000));

export function tokenExposuresContract(adapter: string, setUp: () => Promise<TokenExposuresAdapters>): void {
  describe(`secret scanning's store (${adapter})`, () => {
    let a: TokenExposuresAdapters;
    beforeEach(async () => {
      a = await setUp();
    });

    const event = (token: TokenRecord, type: TokenEventType): TokenEvent =>
      contractEvent(token, type, tick(), { actor: { userId: 'secret-scanning', authenticatedBy: 'SYSTEM' } });
    const made = async (name: string): Promise<StoredToken> => {
      const { lookupId, prefix, secretHash } = ids.mintToken();
      const record = contractRecord(a.account, name, { lookupId, prefix }, tick().toISOString());
      await a.tokens.create({ record, secretHash, removeAfter: null }, 50, event(record, 'token.created'));
      return (await a.tokens.get(a.account.id, name))!;
    };
    const credentialOf = async (token: StoredToken) =>
      (await a.exposures.credentials([token.lookupId])).get(token.lookupId)!;
    const trail = async () =>
      (await a.events.list(a.account.id, { incarnation: a.account.incarnation, limit: 50 })).events.map((e) => e.type);

    it('reads the credentials of the lookup ids it is given, leaving out those it does not know', async () => {
      const [one, two] = [await made('one'), await made('two')];
      const found = await a.exposures.credentials([one.lookupId, 'unknownLookupId00000', two.lookupId]);
      expect([...found.keys()].sort()).toStrictEqual([one.lookupId, two.lookupId].sort());
      expect(found.get(one.lookupId)).toMatchObject({ serviceAccountId: a.account.id, name: 'one', status: 'ACTIVE' });
      expect((await a.exposures.credentials([])).size).toBe(0);
    });

    it('suspends both items of an exposed token with its event, and says why on the token', async () => {
      const token = await made('leaked');
      const at = tick().toISOString();
      expect(await a.exposures.suspendExposed(await credentialOf(token), at, event(token, 'token.exposed'))).toBe(true);
      expect(await a.tokens.get(a.account.id, 'leaked')).toMatchObject({
        status: 'SUSPENDED',
        updatedAt: at,
        suspension: { reason: 'SECRET_SCANNING', at, by: null, byToken: null, unusedDays: null },
      });
      expect((await a.credentials.getCredential(token.lookupId))?.status).toBe('SUSPENDED');
      expect(await trail()).toStrictEqual(['token.exposed', 'token.created']);
    });

    it('keeps a token already suspended so, and records the exposure all the same', async () => {
      const token = await made('suspended');
      await a.tokens.update(token, { status: 'SUSPENDED' }, tick().toISOString());
      const credential = await credentialOf(token);
      expect(await a.exposures.suspendExposed(credential, tick().toISOString(), event(token, 'token.exposed'))).toBe(
        true,
      );
      expect((await a.tokens.get(a.account.id, 'suspended'))?.suspension?.reason).toBe('SECRET_SCANNING');
      expect(await trail()).toStrictEqual(['token.exposed', 'token.created']);
    });

    it('changes nothing when a rotation or a deletion got in after the read', async () => {
      const rotated = await made('rotated');
      const read = await credentialOf(rotated);
      const at = tick().toISOString();
      await a.credentials.rotate(
        rotated,
        {
          secretHash: ids.mintToken().secretHash,
          previous: { validUntil: new Date(Date.parse(at) + 3_600_000).toISOString(), lastUsedAt: null },
          rotatedAt: at,
          rotatedBy: 'alice',
          force: false,
          requestedAt: at,
        },
        event(rotated, 'token.rotated'),
      );
      expect(await a.exposures.suspendExposed(read, tick().toISOString(), event(rotated, 'token.exposed'))).toBe(false);
      expect((await a.tokens.get(a.account.id, 'rotated'))?.status).toBe('ACTIVE');
      const deleted = await made('deleted');
      const gone = await credentialOf(deleted);
      await a.tokens.delete(deleted);
      expect(await a.exposures.suspendExposed(gone, tick().toISOString(), event(deleted, 'token.exposed'))).toBe(false);
      expect((await trail()).filter((type) => type === 'token.exposed')).toStrictEqual([]);
    });
  });
}
