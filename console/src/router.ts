/**
 * The console's addresses: hash routes, so a static host serves every page from one
 * index.html, and each page has a stable address that survives sign-in.
 *
 *   #/                                     the landing page: Admin › Users for admins, else Settings › Members
 *   #/domains                              Settings › Members: pick a domain
 *   #/domains/{domain}/members             its members
 *   #/domains/{domain}/members/{userId}    an account, reached as a member [/tokens, /activity, /federation: a tab]
 *   #/admin/users                          Admin › Users
 *   #/admin/users/{userId}                 an account, reached as an admin [/tokens, /activity, /federation]
 *
 * The Activity tab takes `?token={name}`: the trail of that token only.
 */
export type Tab = 'details' | 'tokens' | 'activity' | 'federation';
const TABS: readonly string[] = ['tokens', 'activity', 'federation'];

type AccountTab = { tab: Tab; token?: string };
export type Route =
  | { page: 'home' }
  | { page: 'members'; domain?: string }
  | ({ page: 'account'; scope: 'domain'; domain: string; userId: string } & AccountTab)
  | { page: 'users' }
  | ({ page: 'account'; scope: 'admin'; userId: string } & AccountTab)
  | { page: 'not-found' };

export type AccountRoute = Extract<Route, { page: 'account' }>;

function decode(segment: string): string | undefined {
  try {
    const value = decodeURIComponent(segment);
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

/** The tab a last segment names (none: Details), and the Activity tab's token filter. */
function tabOf(segment: string | undefined, query: URLSearchParams): AccountTab | undefined {
  if (segment === undefined) return { tab: 'details' };
  if (!TABS.includes(segment)) return undefined;
  const token = query.get('token');
  return segment === 'activity' && token ? { tab: 'activity', token } : { tab: segment as Tab };
}

export function parseRoute(hash: string): Route {
  const [rawPath = '', rawQuery = ''] = hash.replace(/^#/, '').split('?', 2);
  const path = rawPath.replace(/\/+$/, '');
  if (path === '' || path === '/') return { page: 'home' };
  if (path === '/domains') return { page: 'members' };
  const parts = path.split('/').slice(1).map(decode);
  if (parts.some((part) => part === undefined)) return { page: 'not-found' };
  const [first, second, third, fourth, fifth, ...rest] = parts as string[];
  if (rest.length > 0) return { page: 'not-found' };
  const query = new URLSearchParams(rawQuery);
  if (first === 'domains' && second !== undefined && third === 'members') {
    if (fourth === undefined) return { page: 'members', domain: second };
    const tab = tabOf(fifth, query);
    if (tab) return { page: 'account', scope: 'domain', domain: second, userId: fourth, ...tab };
  }
  if (first === 'admin' && second === 'users' && fifth === undefined) {
    if (third === undefined) return { page: 'users' };
    const tab = tabOf(fourth, query);
    if (tab) return { page: 'account', scope: 'admin', userId: third, ...tab };
  }
  return { page: 'not-found' };
}

const e = encodeURIComponent;

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'home':
      return '#/';
    case 'members':
      return route.domain === undefined ? '#/domains' : `#/domains/${e(route.domain)}/members`;
    case 'users':
      return '#/admin/users';
    case 'account': {
      const base =
        route.scope === 'domain'
          ? `#/domains/${e(route.domain)}/members/${e(route.userId)}`
          : `#/admin/users/${e(route.userId)}`;
      if (route.tab === 'details') return base;
      const query = route.tab === 'activity' && route.token ? `?token=${e(route.token)}` : '';
      return `${base}/${route.tab}${query}`;
    }
    default:
      return '#/domains';
  }
}

/** The same account, on another tab (a tab's filter stays with its tab). */
export function withTab(route: AccountRoute, tab: Tab, token?: string): AccountRoute {
  const { token: _filter, ...rest } = route;
  return token === undefined ? { ...rest, tab } : { ...rest, tab, token };
}
