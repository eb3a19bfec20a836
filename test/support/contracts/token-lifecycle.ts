import { beforeEach, describe, expect, it } from '@jest/globals';
import type { TokenEvents } from '../../../shared/audit/ports.js';
import type { CredentialStore } from '../../../shared/auth/ports.js';
import { LIFECYCLE_SHARDS } from '../../../shared/dynamodb/keys.js';
import { LIFECYCLE_ORIGIN, type TokenEventType } from '../../../shared/kernel/events.js';
import { ids } from '../../../shared/kernel/ids.js';
import type { TokenRecord } from '../../../shared/kernel/model.js';
import { nextNoticeAt } from '../../../shared/lifecycle/notices.js';
import type { DueNotice, IdleToken, TokenLifecycle } from '../../../shared/lifecycle/ports.js';
import type { StoredToken, TokenStore } from '../../../shared/tokens/ports.js';
import { contractEvent, contractRecord } from './fixtures.js';

/**
 * The lifecycle job's port (TokenLifecycle), written once and run against each adapter:
 * the in-memory one in the fast tier (test/unit/token-lifecycle-contract.test.ts),
 * DynamoDB's against DynamoDB Local in the full tier
 * (test/integration/token-lifecycle-contract.test.ts). The tokens are made, used, suspended
 * and reactivated through the token stores, so what the job's indexes hold is what those
 * writes leave on the token items.
 */
export interface TokenLifecycleAdapters {
  tokens: TokenStore;
  credentials: CredentialStore;
  lifecycle: TokenLifecycle;
  events: TokenEvents;
  /** A service account of the directory, with the incarnation a create names. */
  account: { id: string; incarnation: string | undefined };
  /** Marks a token's items as a create an earlier version left unfinished (`pendingSince`). */
  leavePending(token: StoredToken): Promise<void>;
  /** Suspends the token item behind the stores' back, leaving it in the idle index (a use recorded meanwhile). */
  suspendLeavingIdle(token: StoredToken): Promise<void>;
}

const DAY = 86_400_000;
const START = Date.parse('2032-03-01T12:00:00.000Z');
const at = (days: number) => new Date(START + days * DAY);
const day = (days: number) => at(days).toISOString().slice(0, 10);

export function tokenLifecycleContract(adapter: string, setUp: () => Promise<TokenLifecycleAdapters>): void {
  describe(`the lifecycle job's port (${adapter})`, () => {
    let a: TokenLifecycleAdapters;
    beforeEach(async () => {
      a = await setUp();
    });

    /** A token created on day 0 (or `over.createdAt`), expiring in `expiresInDays` (none: never). */
    const made = async (name: string, expiresInDays?: number, over: Partial<TokenRecord> = {}) => {
      const minted = ids.mintToken();
      const record = {
        ...contractRecord(a.account, name, minted, at(0).toISOString()),
        ...(expiresInDays === undefined ? {} : { expiresAt: at(expiresInDays).toISOString() }),
        ...over,
      };
      await a.tokens.create({ record, secretHash: minted.secretHash, removeAfter: null }, 50);
      return (await a.tokens.get(a.account.id, name))!;
    };
    const lifecycleEvent = (token: TokenRecord | StoredToken, type: TokenEventType, when: Date, unusedDays = 30) =>
      contractEvent(token as TokenRecord, type, when, { ...LIFECYCLE_ORIGIN, details: { unusedDays } });
    const collect = async <T>(entries: AsyncIterable<T>) => {
      const found: T[] = [];
      for await (const entry of entries) found.push(entry);
      return found;
    };
    const due = (now: Date) => collect(a.lifecycle.dueNotices(now));
    const idle = (beforeDay: string) => collect(a.lifecycle.idleTokens(beforeDay));
    const events = async () =>
      (await a.events.list(a.account.id, { incarnation: a.account.incarnation, limit: 20 })).events;
    const suspendAt = (entry: IdleToken, when: Date) =>
      a.lifecycle.suspendIdle(
        entry,
        day(1),
        when.toISOString(),
        lifecycleEvent(entry as never, 'token.suspended_unused', when),
      );

    it('lists a token in the notices index from its first notice on, not before, and never one without an expiry', async () => {
      const token = await made('expiring', 20);
      await made('forever');
      await made('federated', 10, { federation: { policyId: 'fp-1', policyName: 'ci' } });
      const noticeAt = nextNoticeAt(token.expiresAt, token.createdAt)!;
      expect(noticeAt).toBe(at(6).toISOString());

      expect(await due(new Date(Date.parse(noticeAt) - 1))).toEqual([]);
      const expected: DueNotice = {
        serviceAccountId: a.account.id,
        name: 'expiring',
        lookupId: token.lookupId,
        expiresAt: token.expiresAt!,
        noticeAt,
        ...(a.account.incarnation === undefined ? {} : { incarnation: a.account.incarnation }),
      };
      expect(await due(at(30))).toEqual([expected]);
    });

    it('records a notice once, with its event, and moves the token on to its next one', async () => {
      const token = await made('expiring', 20);
      const [notice] = await due(at(6));
      const next = nextNoticeAt(token.expiresAt, at(6))!;
      const event = lifecycleEvent(token, 'token.expiring', at(6));

      expect(await a.lifecycle.recordNotice(notice!, next, event)).toBe(true);
      // A second run, with the same index entry and an event of its own, sends nothing.
      expect(await a.lifecycle.recordNotice(notice!, next, lifecycleEvent(token, 'token.expiring', at(6)))).toBe(false);

      expect((await events()).map((recorded) => recorded.id)).toEqual([event.id]);
      expect(await due(at(6))).toEqual([]);
      expect((await due(at(13))).map((entry) => entry.noticeAt)).toEqual([next]);
    });

    it('takes a token out of both indexes with its last notice, the expiry', async () => {
      const token = await made('expiring', 5);
      const [notice] = await due(at(5));
      expect(await a.lifecycle.recordNotice(notice!, undefined, lifecycleEvent(token, 'token.expired', at(5)))).toBe(
        true,
      );
      expect(await due(at(400))).toEqual([]);
      expect(await idle(day(400))).toEqual([]);
    });

    it('records no notice for a token replaced since the index was read', async () => {
      const token = await made('expiring', 20);
      const [notice] = await due(at(6));
      await a.tokens.delete(token);
      await made('expiring', 20);
      expect(await a.lifecycle.recordNotice(notice!, undefined, lifecycleEvent(token, 'token.expired', at(6)))).toBe(
        false,
      );
      expect(await events()).toEqual([]);
      expect(await due(at(6))).toHaveLength(1);
    });

    it('lists an active token in the idle index by the day of its last activity: its creation, then its use', async () => {
      const token = await made('ci');
      expect(await idle(day(0))).toEqual([]);
      expect(await idle(day(1))).toEqual([
        expect.objectContaining({ name: 'ci', lookupId: token.lookupId, status: 'ACTIVE', activeDay: day(0) }),
      ]);

      const credential = (await a.credentials.getCredential(token.lookupId))!;
      expect(await a.credentials.recordUse(credential, at(3), 60)).toBe(true);
      expect(await idle(day(3))).toEqual([]);
      expect((await idle(day(4))).map((entry) => entry.activeDay)).toEqual([day(3)]);

      // A federated token is in neither index, even once a use gives it a day of activity.
      const federated = await made('federated', 10, { federation: { policyId: 'fp-1', policyName: 'ci' } });
      expect(await a.credentials.recordUse((await a.credentials.getCredential(federated.lookupId))!, at(3), 60)).toBe(
        true,
      );
      expect((await idle(day(400))).map((entry) => entry.name)).toEqual(['ci']);
    });

    it('takes a suspended token out of the idle index, and counts a reactivated one from its reactivation', async () => {
      const token = await made('ci');
      const suspended = await a.tokens.update(token, { status: 'SUSPENDED' }, at(1).toISOString());
      expect(await idle(day(400))).toEqual([]);
      await a.tokens.update(suspended, { status: 'ACTIVE' }, at(5).toISOString());
      expect(await idle(day(5))).toEqual([]);
      expect((await idle(day(6))).map((entry) => entry.activeDay)).toEqual([day(5)]);
    });

    it('suspends an idle token once, on both items, with its event and why', async () => {
      const token = await made('ci');
      const [entry] = await idle(day(1));
      const event = lifecycleEvent(token, 'token.suspended_unused', at(31));
      expect(await a.lifecycle.suspendIdle(entry!, day(1), at(31).toISOString(), event)).toBe(true);
      expect(await suspendAt(entry!, at(32))).toBe(false);

      expect(await a.tokens.get(a.account.id, 'ci')).toMatchObject({
        status: 'SUSPENDED',
        updatedAt: at(31).toISOString(),
        suspension: { reason: 'UNUSED', at: at(31).toISOString(), by: null, byToken: null, unusedDays: 30 },
      });
      expect((await a.credentials.getCredential(token.lookupId))?.status).toBe('SUSPENDED');
      expect((await events()).map((recorded) => recorded.id)).toEqual([event.id]);
      expect(await idle(day(400))).toEqual([]);
    });

    it('suspends no token used, suspended or left half created since the index was read', async () => {
      const used = await made('used');
      const changed = await made('changed');
      const pending = await made('pending');
      const entries = await idle(day(1));
      const entry = (name: string) => entries.find((found) => found.name === name)!;

      const credential = (await a.credentials.getCredential(used.lookupId))!;
      expect(await a.credentials.recordUse(credential, at(2), 60)).toBe(true);
      expect(await suspendAt(entry('used'), at(31))).toBe(false);

      await a.tokens.update(changed, { status: 'SUSPENDED' }, at(2).toISOString());
      expect(await suspendAt(entry('changed'), at(31))).toBe(false);

      await a.leavePending(pending);
      expect(await suspendAt(entry('pending'), at(31))).toBe(false);

      expect(await events()).toEqual([]);
      expect((await a.tokens.get(a.account.id, 'used'))?.status).toBe('ACTIVE');
      expect((await a.credentials.getCredential(pending.lookupId))?.status).toBe('ACTIVE');
    });

    it('forgets, and does not suspend, a token no longer active but still in the idle index; never an active one', async () => {
      const gone = await made('suspended');
      await made('active');
      await a.suspendLeavingIdle(gone);
      const entries = await idle(day(1));
      expect(entries.map((entry) => [entry.name, entry.status]).sort()).toEqual([
        ['active', 'ACTIVE'],
        ['suspended', 'SUSPENDED'],
      ]);
      // Not active: not suspended again (the job forgets it instead).
      expect(await suspendAt(entries.find((entry) => entry.name === 'suspended')!, at(31))).toBe(false);
      for (const entry of entries) await a.lifecycle.forgetIdle(entry);
      expect((await idle(day(1))).map((entry) => entry.name)).toEqual(['active']);
    });

    it('counts its reads: a query per shard, and the index entries they returned', async () => {
      await made('expiring', 20);
      await made('forever');
      const before = { ...a.lifecycle.reads };
      await due(at(6));
      await idle(day(1));
      expect(a.lifecycle.reads.queries - before.queries).toBe(2 * LIFECYCLE_SHARDS);
      expect(a.lifecycle.reads.items - before.items).toBe(3);
    });
  });
}
