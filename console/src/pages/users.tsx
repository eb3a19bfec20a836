import type { Api, User, WhoAmI } from '../api/client';
import { answer } from '../api/client';
import { ErrorNotice } from '../components/notice';
import { Pager } from '../components/pager';
import { SearchBox } from '../components/search-box';
import { formatList, formatType } from '../format';
import { usePaged } from '../paged';
import { describeError } from '../problems';
import { hrefOf } from '../router';
import { useState } from 'preact/hooks';

const PAGE_SIZE = 25;

/** Admin › Users: every user of the directory, for admins. */
export function UsersPage({ api, me }: { api: Api; me: WhoAmI }) {
  return (
    <>
      <p class="breadcrumb">Admin › Users</p>
      <h1 tabIndex={-1}>Users</h1>
      {me.capabilities.admin ? <UserSearch api={api} /> : <p>Admin › Users is for admins: you have no admin role.</p>}
    </>
  );
}

/** The search box, and the list of what it finds (a new search starts at its first page). */
function UserSearch({ api }: { api: Api }) {
  const [q, setQ] = useState('');
  return (
    <>
      <SearchBox id="user-search" label="Search users" onSearch={setQ} />
      <UserList key={q} api={api} q={q} />
    </>
  );
}

function UserList({ api, q }: { api: Api; q: string }) {
  const list = usePaged<User>(async (cursor) => {
    const query = { limit: PAGE_SIZE, ...(q ? { q } : {}), ...(cursor ? { nextToken: cursor } : {}) };
    const page = await answer(api.GET('/api/v1/auth/users', { params: { query } }));
    return { items: page.users, next: page.nextToken };
  });
  if (list.error) return <ErrorNotice message={describeError(list.error)} />;
  return (
    <>
      <div class="table-wrap" tabIndex={0} role="region" aria-label="Users">
        <table aria-busy={list.loading}>
          <caption>Users of the directory</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Type</th>
              <th scope="col">Groups</th>
              <th scope="col">Domains</th>
            </tr>
          </thead>
          <tbody>
            {list.items?.map((user) => (
              <tr key={user.id}>
                <th scope="row">
                  <a href={hrefOf({ page: 'account', scope: 'admin', userId: user.id, tab: 'details' })}>{user.id}</a>
                </th>
                <td>{formatType(user.type)}</td>
                <td>{formatList(user.groups)}</td>
                <td>{formatList(user.domains)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.items?.length === 0 && q && <p role="status">No user’s id starts with “{q}”.</p>}
      <Pager
        label="Users pages"
        page={list.page}
        hasPrevious={list.hasPrevious}
        hasNext={list.hasNext}
        onPrevious={list.previous}
        onNext={list.next}
      />
    </>
  );
}
