import { beforeEach, describe, expect, it } from '@jest/globals';
import type { Directory } from '../../../shared/directory/directory.js';
import type { DirectoryStore } from '../../../shared/directory/ports.js';
import { ids } from '../../../shared/kernel/ids.js';
import type { TokenStore } from '../../../shared/tokens/ports.js';
import { contractRecord } from './fixtures.js';

/**
 * The directory's port (DirectoryStore), written once and run against each adapter: the
 * in-memory one in the fast tier (test/unit/directory-store-contract.test.ts), DynamoDB's
 * against DynamoDB Local in the full tier (test/integration/directory-store-contract.test.ts).
 * Each test starts from a store holding the example directory (examples/directory.json).
 */
export interface DirectoryAdapters {
  directory: DirectoryStore;
  /** The token store on the same table: an account's first token makes it a token holder. */
  tokens: TokenStore;
}

const byId = <T extends { id: string }>(entries: T[]) => [...entries].sort((a, b) => (a.id < b.id ? -1 : 1));
const sorted = (directory: Directory): Directory => ({
  domains: byId(directory.domains),
  users: byId(directory.users),
  roles: [...directory.roles].sort((a, b) => (`${a.domain}/${a.name}` < `${b.domain}/${b.name}` ? -1 : 1)),
  bundles: [...directory.bundles].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)),
});

export function directoryStoreContract(adapter: string, setUp: () => Promise<DirectoryAdapters>): void {
  describe(`the directory's port (${adapter})`, () => {
    let store: DirectoryStore;
    let tokens: TokenStore;
    let example: Directory;
    beforeEach(async () => {
      ({ directory: store, tokens } = await setUp());
      example = (await store.snapshot()).directory;
    });

    /** The stored directory with `change` made to it, written. */
    const rewrite = async (change: (directory: Directory) => Directory) =>
      (await store.snapshot()).write(change(structuredClone(example)));
    const without = (directory: Directory, userId: string): Directory => ({
      ...directory,
      users: directory.users.filter((user) => user.id !== userId),
      roles: directory.roles.map((role) => ({ ...role, users: role.users.filter((id) => id !== userId) })),
      bundles: directory.bundles.map((bundle) => ({ ...bundle, users: bundle.users.filter((id) => id !== userId) })),
    });

    it('reads a principal whole, with where they manage tokens; nothing for an unknown or impossible id', async () => {
      expect(await store.getPrincipal('alice')).toEqual({
        id: 'alice',
        type: 'USER',
        groups: ['data-eng'],
        domains: ['finance'],
        adminRoles: [],
        tokenManagerIn: ['finance'],
      });
      expect(await store.getPrincipal('dave')).toMatchObject({ tokenManagerIn: ['marketing'] });
      expect(await store.getPrincipal('root')).toMatchObject({ adminRoles: ['ADMIN'], tokenManagerIn: [] });
      const account = await store.getPrincipal('sa-etl');
      expect(account).toMatchObject({ id: 'sa-etl', type: 'SERVICE_ACCOUNT', domains: ['finance'] });
      expect(account?.incarnation).toMatch(/^[0-9a-z]{21}$/);
      expect(await store.getPrincipal('nobody')).toBeUndefined();
      // Longer than a key may be: no read at all.
      expect(await store.getPrincipal('x'.repeat(3_000))).toBeUndefined();
    });

    it("lists a domain's members by id, a page at a time, a cursor only when more follow", async () => {
      const first = await store.listMembers('finance', 2);
      expect(first.items).toEqual([
        { id: 'alice', type: 'USER', groups: ['data-eng'] },
        { id: 'bob', type: 'USER', groups: ['data-eng'] },
      ]);
      expect(first.lastId).toBe('bob');
      const rest = await store.listMembers('finance', 10, first.lastId);
      expect(rest.items.map((entry) => entry.id)).toEqual(['carol', 'sa-etl', 'sa-reporting']);
      expect(rest.lastId).toBeUndefined();
      // Exactly a page left: no cursor to an empty page.
      expect((await store.listMembers('finance', 3, 'bob')).lastId).toBeUndefined();
      expect(await store.listMembers('nowhere', 10)).toEqual({ items: [], lastId: undefined });
      expect(await store.listMembers('finance', 10, 'not a directory id!')).toEqual({ items: [], lastId: undefined });
    });

    it('searches members and users by a prefix of the id, with a cursor from before, inside or after it', async () => {
      const ids = (page: { items: { id: string }[] }) => page.items.map((entry) => entry.id);
      expect(ids(await store.listMembers('finance', 10, undefined, 'sa-'))).toEqual(['sa-etl', 'sa-reporting']);
      expect(ids(await store.listMembers('finance', 10, 'sa-etl', 'sa-'))).toEqual(['sa-reporting']);
      expect(ids(await store.listMembers('finance', 10, 'alice', 'sa-'))).toEqual(['sa-etl', 'sa-reporting']);
      expect(ids(await store.listMembers('finance', 10, 'zed', 'sa-'))).toEqual([]);
      const users = await store.listUsers(2, undefined, 'sa-');
      expect(users).toEqual({
        items: [
          { id: 'sa-campaigns', type: 'SERVICE_ACCOUNT', groups: ['campaigns'], domains: ['marketing'] },
          { id: 'sa-etl', type: 'SERVICE_ACCOUNT', groups: ['data-eng'], domains: ['finance'] },
        ],
        lastId: 'sa-etl',
      });
      expect(ids(await store.listUsers(10, users.lastId, 'sa-'))).toEqual([
        'sa-platform',
        'sa-reporting',
        'sa-rotator',
      ]);
      expect((await store.listUsers(100)).items).toHaveLength(13);
    });

    it('reads one member of a domain, and nothing for a user outside it', async () => {
      expect(await store.getMember('marketing', 'erin')).toEqual({ id: 'erin', type: 'USER', groups: ['campaigns'] });
      expect(await store.getMember('finance', 'erin')).toBeUndefined();
      expect(await store.getMember('finance', 'not a directory id!')).toBeUndefined();
    });

    it('reads the stored directory back, and writes only what differs from it', async () => {
      expect(example.users).toHaveLength(13);
      const unchanged = await rewrite((directory) => directory);
      expect(unchanged.written).toBe(0);
      expect(unchanged.deleted).toBe(0);
      expect(unchanged.unchanged).toBeGreaterThan(0);

      const target = without(structuredClone(example), 'frank');
      target.users.find((user) => user.id === 'carol')!.groups = ['data-eng'];
      const result = await rewrite(() => target);
      // frank: profile, listing, membership; carol: profile, listing, membership rewritten.
      expect(result).toEqual({ written: 3, deleted: 3, unchanged: unchanged.unchanged - 3 - 3 });
      expect(await store.getPrincipal('frank')).toBeUndefined();
      expect(await store.getMember('marketing', 'frank')).toBeUndefined();
      expect(await store.getMember('finance', 'carol')).toEqual({ id: 'carol', type: 'USER', groups: ['data-eng'] });
      expect(sorted((await store.snapshot()).directory)).toEqual(sorted(target));
    });

    it('names the accounts that hold tokens, in its snapshot', async () => {
      expect((await store.snapshot()).tokenHolders).toEqual([]);
      const account = { id: 'sa-etl', incarnation: (await store.getPrincipal('sa-etl'))?.incarnation };
      const minted = ids.mintToken();
      const record = contractRecord(account, 'ci', minted, new Date().toISOString());
      await tokens.create({ record, secretHash: minted.secretHash, removeAfter: null }, 50);
      expect((await store.snapshot()).tokenHolders).toEqual(['sa-etl']);
    });

    it("records a retired account's incarnation as ended, readable as it was; a new account of its id is another", async () => {
      const before = (await store.getPrincipal('sa-etl'))!;
      await store.retire('sa-etl');
      await store.retire('nobody');
      const snapshot = await store.snapshot();
      expect(snapshot.retiring).toEqual(['sa-etl']);

      await snapshot.write(without(snapshot.directory, 'sa-etl'));
      expect(await store.getPrincipal('sa-etl')).toBeUndefined();
      const [ended] = await store.listIncarnations('sa-etl');
      expect(ended).toMatchObject({ incarnation: before.incarnation, current: false, groups: ['data-eng'] });
      expect(ended?.endedAt).toEqual(expect.any(String));
      expect(await store.getIncarnation('sa-etl', before.incarnation!)).toEqual({
        id: 'sa-etl',
        type: 'SERVICE_ACCOUNT',
        groups: ['data-eng'],
        domains: [],
        adminRoles: [],
        tokenManagerIn: [],
        incarnation: before.incarnation,
      });

      await (await store.snapshot()).write(example);
      const again = (await store.getPrincipal('sa-etl'))!;
      expect(again.incarnation).not.toBe(before.incarnation);
      expect(await store.getIncarnation('sa-etl', again.incarnation!)).toEqual(again);
      const listed = await store.listIncarnations('sa-etl');
      expect(listed.map((entry) => [entry.incarnation, entry.current])).toEqual([
        [again.incarnation, true],
        [before.incarnation, false],
      ]);
      expect(listed[0]?.endedAt).toBeNull();
      expect((await store.snapshot()).retiring).toEqual([]);
      expect(await store.getIncarnation('sa-etl', 'legacy')).toBeUndefined();
      expect(await store.listIncarnations('nobody')).toEqual([]);
    });
  });
}
