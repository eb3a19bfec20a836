import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { answer, createApi, type WhoAmI } from './api/client';
import type { Auth } from './auth';
import { ErrorNotice } from './components/notice';
import { AccountPage, TAB_NAMES } from './pages/account';
import { MembersPage } from './pages/members';
import { UsersPage } from './pages/users';
import { describeError, type Message } from './problems';
import { hrefOf, parseRoute, type Route } from './router';

const TITLE = 'Service account tokens';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

function titleOf(route: Route): string {
  switch (route.page) {
    case 'members':
      return route.domain ? `Members of ${route.domain}` : 'Members';
    case 'users':
      return 'Users';
    case 'home':
      return 'Loading';
    case 'account':
      return route.tab === 'details' ? route.userId : `${TAB_NAMES[route.tab]} · ${route.userId}`;
    default:
      return 'Not found';
  }
}

/** The same page with another tab: focus stays on the tab, not the heading. */
const samePage = (a: Route, b: Route) =>
  a.page === 'account' && b.page === 'account' && hrefOf({ ...a, tab: 'details' }) === hrefOf({ ...b, tab: 'details' });

/** The signed-in console: header and navigation, then the page the address names. */
export function App({ auth, onSignedOut }: { auth: Auth; onSignedOut: (message: Message) => void }) {
  const route = useRoute();
  const api = useMemo(
    () =>
      createApi(
        () => auth.session()?.bearer,
        () => {
          auth.forget();
          onSignedOut({ text: 'Your session has ended.', hint: 'Sign in again to go on where you were.' });
        },
      ),
    [auth],
  );
  const [me, setMe] = useState<WhoAmI | undefined>();
  const [failure, setFailure] = useState<Message | undefined>();
  const main = useRef<HTMLElement>(null);
  const previous = useRef<Route | undefined>(undefined);

  useEffect(() => {
    answer(api.GET('/api/v1/auth/whoami')).then(setMe, (error: unknown) => setFailure(describeError(error)));
  }, [api]);

  // The landing address: admins land on Admin › Users, everyone else on Settings › Members.
  useEffect(() => {
    if (route.page !== 'home' || !me) return;
    location.replace(hrefOf(me.capabilities.admin ? { page: 'users' } : { page: 'members' }));
  }, [route, me]);

  // A new page: its title, and focus on its heading so that screen readers announce it.
  useEffect(() => {
    document.title = `${titleOf(route)} · ${TITLE}`;
    const before = previous.current;
    previous.current = route;
    if (before && !samePage(before, route))
      requestAnimationFrame(() => main.current?.querySelector<HTMLElement>('h1')?.focus());
  }, [route]);

  const current = (page: Route['page']) => (route.page === page ? 'page' : undefined);
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(event) => (event.preventDefault(), main.current?.querySelector<HTMLElement>('h1')?.focus())}
      >
        Skip to content
      </a>
      <header class="top">
        <p class="brand">{TITLE}</p>
        <nav aria-label="Main">
          <ul>
            <li>
              <a href={hrefOf({ page: 'members' })} aria-current={current('members')}>
                Settings › Members
              </a>
            </li>
            {me?.capabilities.admin && (
              <li>
                <a href={hrefOf({ page: 'users' })} aria-current={current('users')}>
                  Admin › Users
                </a>
              </li>
            )}
          </ul>
        </nav>
        <div class="who">
          {me && <span>Signed in as {me.userId}</span>}
          <button type="button" onClick={() => void auth.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main}>
        {failure && <ErrorNotice message={failure} />}
        {me && <Page route={route} api={api} me={me} />}
        {!me && !failure && <p class="loading">Loading…</p>}
      </main>
    </>
  );
}

function Page({ route, api, me }: { route: Route; api: ReturnType<typeof createApi>; me: WhoAmI }) {
  switch (route.page) {
    case 'members':
      return <MembersPage api={api} me={me} domain={route.domain} />;
    case 'users':
      return <UsersPage api={api} me={me} />;
    case 'home':
      return <p class="loading">Loading…</p>;
    case 'account':
      return <AccountPage key={hrefOf({ ...route, tab: 'details' })} api={api} me={me} route={route} />;
    default:
      return (
        <>
          <h1 tabIndex={-1}>Not found</h1>
          <p>
            No page has this address. Go to <a href={hrefOf({ page: 'members' })}>Settings › Members</a>.
          </p>
        </>
      );
  }
}
