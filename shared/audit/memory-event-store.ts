import type { TokenEvent } from '../kernel/events.js';
import type { MemoryTokenTable } from '../tokens/memory-token-table.js';
import type { EventPage, EventQuery, TokenEvents } from './ports.js';

/** Query pages read for one answer at most (as DynamoTokenEvents reads them). */
const MAX_PAGES = 10;

/**
 * The audit trail in memory, read from the events the in-memory token stores wrote with
 * their changes: the fast tier's stand-in for DynamoTokenEvents. It pages as that one's
 * queries do (newest first, filters applied to the items each page read, at most ten
 * pages an answer), so a filtered page may come back short with a cursor here too; the
 * port-contract suite holds the two to one behaviour.
 */
export class MemoryTokenEvents implements TokenEvents {
  constructor(private readonly table: MemoryTokenTable) {}

  async list(accountId: string, query: EventQuery): Promise<EventPage> {
    const newestFirst = this.table.accountEvents(accountId, query.incarnation).reverse();
    const matches = (event: TokenEvent) =>
      (query.tokenName === undefined || event.tokenName === query.tokenName) &&
      (query.type === undefined || event.type === query.type);
    const after = query.afterId;
    let position = after === undefined ? 0 : newestFirst.findIndex((event) => event.id < after);
    if (position < 0) position = newestFirst.length;
    const events: TokenEvent[] = [];
    let lastRead: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      // A page that reads as many items as it asked for ends with a cursor, as a query that
      // reached its Limit does, whether or not more follow.
      const asked = query.limit + 1 - events.length;
      const read = newestFirst.slice(position, position + asked);
      position += read.length;
      events.push(...read.filter(matches));
      lastRead = read.length === asked ? read.at(-1)?.id : undefined;
      if (events.length > query.limit || lastRead === undefined) break;
    }
    if (events.length > query.limit)
      return { events: events.slice(0, query.limit), lastId: events[query.limit - 1]!.id };
    return { events, lastId: lastRead };
  }
}
