import { beforeEach, describe, expect, it } from '@jest/globals';
import type { EventQuery, TokenEvents } from '../../../shared/audit/ports.js';
import type { TokenEvent, TokenEventType } from '../../../shared/kernel/events.js';
import { ids } from '../../../shared/kernel/ids.js';
import type { TokenRecord } from '../../../shared/kernel/model.js';
import type { StoredToken, TokenStore } from '../../../shared/tokens/ports.js';
import { contractEvent, contractRecord } from './fixtures.js';

/**
 * The audit trail's port (TokenEvents), written once and run against each adapter: the
 * in-memory one in the fast tier (test/unit/token-events-contract.test.ts), DynamoDB's
 * against DynamoDB Local in the full tier (test/integration/token-events-contract.test.ts).
 * The events are written as the service writes them, with the token store's changes.
 */
export interface TokenEventsAdapters {
  tokens: TokenStore;
  events: TokenEvents;
  /** A service account of the directory, with the incarnation a create names. */
  account: { id: string; incarnation: string | undefined };
}

let clock = Date.parse('2031-01-01T00:00:00.000Z');

export function tokenEventsContract(adapter: string, setUp: () => Promise<TokenEventsAdapters>): void {
  describe(`the audit trail's port (${adapter})`, () => {
    let a: TokenEventsAdapters;
    beforeEach(async () => {
      a = await setUp();
    });

    // With a request and a change, so the adapters must keep every field an event can hold.
    const event = (token: TokenRecord, type: TokenEventType): TokenEvent =>
      contractEvent(token, type, new Date((clock += 1000)), {
        requestId: 'req-1',
        sourceIp: '203.0.113.9',
        userAgent: 'ci/1',
        changes: { status: { before: 'ACTIVE', after: 'SUSPENDED' } },
      });
    /** Makes a token, with its `token.created` event. */
    const made = async (name: string): Promise<[StoredToken, TokenEvent]> => {
      const { lookupId, prefix, secretHash } = ids.mintToken();
      const at = new Date(clock).toISOString();
      const record = contractRecord(a.account, name, { lookupId, prefix }, at);
      const created = event(record, 'token.created');
      await a.tokens.create({ record, secretHash, removeAfter: null }, 50, created);
      return [(await a.tokens.get(a.account.id, name))!, created];
    };
    /** A change with its `token.updated` event; the token as it is after it. */
    const updated = async (token: StoredToken): Promise<[StoredToken, TokenEvent]> => {
      const recorded = event(token, 'token.updated');
      const status = token.status === 'ACTIVE' ? 'SUSPENDED' : 'ACTIVE';
      return [await a.tokens.update(token, { status }, recorded.time, recorded), recorded];
    };
    const list = (query: Partial<EventQuery> & { limit: number }) =>
      a.events.list(a.account.id, { incarnation: a.account.incarnation, ...query });
    const idsOf = (events: TokenEvent[]) => events.map((recorded) => recorded.id);

    it('lists the events newest first, whole, a page at a time, a cursor only when more may follow', async () => {
      let [token, first] = await made('ci');
      const written = [first];
      for (let i = 0; i < 4; i++) {
        let recorded: TokenEvent;
        [token, recorded] = await updated(token);
        written.push(recorded);
      }
      const newest = [...written].reverse();
      const page1 = await list({ limit: 2 });
      expect(page1).toEqual({ events: newest.slice(0, 2), lastId: newest[1]!.id });
      const page2 = await list({ limit: 2, afterId: page1.lastId });
      expect(page2).toEqual({ events: newest.slice(2, 4), lastId: newest[3]!.id });
      expect(await list({ limit: 2, afterId: page2.lastId })).toEqual({ events: newest.slice(4), lastId: undefined });
      expect(await list({ limit: 5 })).toEqual({ events: newest, lastId: undefined });
    });

    it("filters by token and by type, over the account's trail only", async () => {
      let [one] = await made('one');
      let [two] = await made('two');
      const byTwo: TokenEvent[] = [];
      for (let i = 0; i < 3; i++) {
        [one] = await updated(one);
        let recorded: TokenEvent;
        [two, recorded] = await updated(two);
        byTwo.unshift(recorded);
      }
      const pages: TokenEvent[][] = [];
      let afterId: string | undefined;
      do {
        const page = await list({ limit: 2, tokenName: 'two', type: 'token.updated', ...(afterId ? { afterId } : {}) });
        expect(page.events.length).toBeLessThanOrEqual(2);
        pages.push(page.events);
        afterId = page.lastId;
      } while (afterId !== undefined);
      expect(idsOf(pages.flat())).toEqual(idsOf(byTwo));
      const created = await list({ limit: 10, type: 'token.created' });
      expect(created.events.map((recorded) => recorded.tokenName)).toEqual(['two', 'one']);
      expect((await a.events.list('sa-reporting', { limit: 10 })).events).toEqual([]);
      if (a.account.incarnation !== undefined)
        expect((await a.events.list(a.account.id, { limit: 10 })).events).toEqual([]);
    });

    it('reads at most ten pages for one answer: a page of sparse matches comes back short, with a cursor', async () => {
      let [token] = await made('ci');
      // 30 events, none a deletion: ten pages of three items each, then the trail's end.
      for (let i = 0; i < 29; i++) [token] = await updated(token);
      const all = await list({ limit: 30 });
      const page = await list({ limit: 2, type: 'token.deleted' });
      expect(page).toEqual({ events: [], lastId: all.events[29]!.id });
      expect(await list({ limit: 2, type: 'token.deleted', afterId: page.lastId })).toEqual({
        events: [],
        lastId: undefined,
      });
    });
  });
}
