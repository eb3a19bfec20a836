import { useMemo, useState } from 'preact/hooks';
import { accountApi } from '../api/account';
import type { AccountScope, Api, TokenEvent } from '../api/client';
import { described, Field } from '../components/field';
import { ErrorNotice } from '../components/notice';
import { Pager } from '../components/pager';
import { inWords } from '../event-words';
import { formatDate } from '../format';
import { usePaged } from '../paged';
import { describeError } from '../problems';
import { type AccountRoute, hrefOf, withTab } from '../router';
import { nameProblem } from '../validate';

const PAGE_SIZE = 25;

interface ActivityPanelProps {
  api: Api;
  account: AccountScope;
  /** Its `token`, when set, shows that token's events only. */
  route: AccountRoute;
  groups: string[];
}

/**
 * The Activity tab: the account's audit trail (GET {base}/token-events), newest first, a
 * page at a time, all of it or one token's; each event in words: who did what, when,
 * and from where.
 */
export function ActivityPanel({ api, account, route, groups }: ActivityPanelProps) {
  const trail = useMemo(() => accountApi(api, account), [api, account.userId]);
  const list = usePaged<TokenEvent>(async (cursor) => {
    const page = await trail.events({ cursor, limit: PAGE_SIZE, tokenName: route.token });
    return { items: page.events, next: page.nextToken };
  });
  return (
    <>
      <TokenFilter route={route} />
      {list.error ? (
        <ErrorNotice message={describeError(list.error, { accountGroups: groups })} />
      ) : (
        <ol class="events" aria-busy={list.loading} aria-label="Events, newest first">
          {list.items?.map((event) => (
            <EventItem key={event.id} event={event} />
          ))}
        </ol>
      )}
      {list.items?.length === 0 && (
        <p class="empty">{route.token ? `No events for token “${route.token}”.` : 'No events yet.'}</p>
      )}
      <Pager
        label="Activity pages"
        page={list.page}
        hasPrevious={list.hasPrevious}
        hasNext={list.hasNext}
        onPrevious={list.previous}
        onNext={list.next}
      />
    </>
  );
}

function EventItem({ event }: { event: TokenEvent }) {
  const { who, what, where } = inWords(event);
  return (
    <li>
      <p>
        <strong>{who}</strong> {what}.
      </p>
      <p class="note">
        <time dateTime={event.time}>{formatDate(event.time)}</time> · {where ?? 'by the service itself'}
      </p>
    </li>
  );
}

/** One token's events, or all: the filter is part of the address, so it survives a reload and can be shared. */
function TokenFilter({ route }: { route: AccountRoute }) {
  const [name, setName] = useState(route.token ?? '');
  const [error, setError] = useState<string | undefined>();
  const submit = (event: Event) => {
    event.preventDefault();
    const problem = name.trim() === '' ? undefined : nameProblem(name);
    setError(problem?.replace(/^Name/, 'A token name'));
    if (problem) return document.getElementById('activity-token')?.focus();
    location.hash = hrefOf(withTab(route, 'activity', name.trim() || undefined));
  };
  return (
    <form class="filter" aria-label="Filter the activity" onSubmit={submit} noValidate>
      <Field id="activity-token" label="Token" error={error} hint="A token’s name, for its events only.">
        <input
          {...described('activity-token', error)}
          autocomplete="off"
          spellcheck={false}
          value={name}
          onInput={(event) => setName(event.currentTarget.value)}
        />
      </Field>
      <div class="actions">
        <button type="submit">Show</button>
        {route.token && <a href={hrefOf(withTab(route, 'activity'))}>Show all tokens</a>}
      </div>
    </form>
  );
}
