import { useEffect, useRef, useState } from 'preact/hooks';
import type { AccountScope, Api, User, WhoAmI } from '../api/client';
import { answer } from '../api/client';
import { ErrorNotice } from '../components/notice';
import { formatList, formatType } from '../format';
import { describeError } from '../problems';
import { type AccountRoute, hrefOf, type Tab, withTab } from '../router';
import { ActivityPanel } from './activity';
import { FederationPanel } from './federation';
import { TokensPanel } from './tokens';

type Account = Omit<User, 'domains'> & { domains?: string[] };

/**
 * An account's page, reached from Settings › Members or Admin › Users: its details and,
 * for a service account only, the Access Tokens, Activity and Federation tabs. Each tab has
 * its own address.
 */
export function AccountPage({ api, me, route }: { api: Api; me: WhoAmI; route: AccountRoute }) {
  const [account, setAccount] = useState<Account | undefined>();
  const [error, setError] = useState<unknown>();
  const scope: AccountScope =
    route.scope === 'domain'
      ? { scope: 'domain', domain: route.domain, userId: route.userId }
      : { scope: 'admin', userId: route.userId };

  useEffect(() => {
    setAccount(undefined);
    setError(undefined);
    const load =
      route.scope === 'domain'
        ? answer(
            api.GET('/api/v1/domains/{domain}/members/{userId}', {
              params: { path: { domain: route.domain, userId: route.userId } },
            }),
          )
        : answer(api.GET('/api/v1/auth/users/{userId}', { params: { path: { userId: route.userId } } }));
    load.then(setAccount, setError);
  }, [route.scope, route.scope === 'domain' ? route.domain : '', route.userId]);

  const back =
    route.scope === 'domain' ? (
      <p class="breadcrumb">
        Settings › <a href={hrefOf({ page: 'members', domain: route.domain })}>Members of {route.domain}</a> ›{' '}
        {route.userId}
      </p>
    ) : (
      <p class="breadcrumb">
        Admin › <a href={hrefOf({ page: 'users' })}>Users</a> › {route.userId}
      </p>
    );
  const isServiceAccount = account?.type === 'SERVICE_ACCOUNT';
  // The other tabs exist only for service accounts; their addresses show anyone else's details.
  const tab: Tab = isServiceAccount ? route.tab : 'details';
  return (
    <>
      {back}
      <h1 tabIndex={-1}>{route.userId}</h1>
      {error !== undefined && <ErrorNotice message={describeError(error)} />}
      {account && (
        <>
          <p class="subtitle">{formatType(account.type)}</p>
          <Tabs route={route} tabs={isServiceAccount ? SERVICE_ACCOUNT_TABS : ['details']} selected={tab} />
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} class="panel">
            {tab === 'details' && <Details account={account} />}
            {tab === 'tokens' && (
              <TokensPanel api={api} me={me} account={scope} groups={account.groups} route={route} />
            )}
            {tab === 'activity' && (
              <ActivityPanel key={route.token ?? ''} api={api} account={scope} route={route} groups={account.groups} />
            )}
            {tab === 'federation' && <FederationPanel api={api} me={me} account={scope} groups={account.groups} />}
          </div>
        </>
      )}
    </>
  );
}

export const TAB_NAMES: Record<Tab, string> = {
  details: 'Details',
  tokens: 'Access Tokens',
  activity: 'Activity',
  federation: 'Federation',
};
const SERVICE_ACCOUNT_TABS: Tab[] = ['details', 'tokens', 'activity', 'federation'];

/** ARIA tabs as links (each tab has an address): arrow keys move between them, Enter or click opens. */
function Tabs({ route, tabs, selected }: { route: AccountRoute; tabs: Tab[]; selected: Tab }) {
  const list = useRef<HTMLDivElement>(null);
  const onKeyDown = (event: KeyboardEvent) => {
    const index = tabs.indexOf(selected);
    const step = { ArrowRight: 1, ArrowLeft: -1, Home: -index, End: tabs.length - 1 - index }[event.key];
    if (step === undefined) return;
    event.preventDefault();
    const next = tabs[(index + step + tabs.length) % tabs.length]!;
    location.hash = hrefOf(withTab(route, next));
    requestAnimationFrame(() => list.current?.querySelector<HTMLElement>(`#tab-${next}`)?.focus());
  };
  return (
    <div class="tabs" role="tablist" aria-label="Account" ref={list} onKeyDown={onKeyDown}>
      {tabs.map((tab) => (
        <a
          key={tab}
          id={`tab-${tab}`}
          role="tab"
          href={hrefOf(withTab(route, tab))}
          aria-selected={tab === selected}
          aria-controls={tab === selected ? `panel-${tab}` : undefined}
          tabIndex={tab === selected ? 0 : -1}
          data-tab="true"
        >
          {TAB_NAMES[tab]}
        </a>
      ))}
    </div>
  );
}

function Details({ account }: { account: Account }) {
  return (
    <dl class="details">
      <dt>User id</dt>
      <dd>{account.id}</dd>
      <dt>Type</dt>
      <dd>{formatType(account.type)}</dd>
      <dt>Groups</dt>
      <dd>{formatList(account.groups)}</dd>
      {account.domains && (
        <>
          <dt>Domains</dt>
          <dd>{formatList(account.domains)}</dd>
        </>
      )}
    </dl>
  );
}
