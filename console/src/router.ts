/**
 * The console's addresses: hash routes, so a static host serves every page from one
 * index.html, and each page has a stable address that survives sign-in.
 *
 *   #/domains                              Settings › Members: pick a domain
 *   #/domains/{domain}/members             its members
 *   #/domains/{domain}/members/{userId}    an account, reached as a member [/tokens: its Access Tokens tab]
 *   #/admin/users                          Admin › Users
 *   #/admin/users/{userId}                 an account, reached as an admin [/tokens]
 */
export type Tab = 'details' | 'tokens';

export type Route =
  | { page: 'members'; domain?: string }
  | { page: 'account'; scope: 'domain'; domain: string; userId: string; tab: Tab }
  | { page: 'users' }
  | { page: 'account'; scope: 'admin'; userId: string; tab: Tab }
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

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '');
  if (path === '' || path === '/' || path === '/domains') return { page: 'members' };
  const parts = path.split('/').slice(1).map(decode);
  if (parts.some((part) => part === undefined)) return { page: 'not-found' };
  const [first, second, third, fourth, fifth, ...rest] = parts as string[];
  if (rest.length > 0) return { page: 'not-found' };
  if (first === 'domains' && second !== undefined && third === 'members') {
    if (fourth === undefined) return { page: 'members', domain: second };
    if (fifth === undefined || fifth === 'tokens')
      return {
        page: 'account',
        scope: 'domain',
        domain: second,
        userId: fourth,
        tab: fifth === 'tokens' ? 'tokens' : 'details',
      };
  }
  if (first === 'admin' && second === 'users' && fifth === undefined) {
    if (third === undefined) return { page: 'users' };
    if (fourth === undefined || fourth === 'tokens')
      return { page: 'account', scope: 'admin', userId: third, tab: fourth === 'tokens' ? 'tokens' : 'details' };
  }
  return { page: 'not-found' };
}

const e = encodeURIComponent;

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'members':
      return route.domain === undefined ? '#/domains' : `#/domains/${e(route.domain)}/members`;
    case 'users':
      return '#/admin/users';
    case 'account': {
      const base =
        route.scope === 'domain'
          ? `#/domains/${e(route.domain)}/members/${e(route.userId)}`
          : `#/admin/users/${e(route.userId)}`;
      return route.tab === 'tokens' ? `${base}/tokens` : base;
    }
    default:
      return '#/domains';
  }
}
