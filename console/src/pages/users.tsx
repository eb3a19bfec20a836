import type { Api, User, WhoAmI } from '../api/client';
import { answer } from '../api/client';
import { ErrorNotice } from '../components/notice';
import { Pager } from '../components/pager';
import { formatList, formatType } from '../format';
import { usePaged } from '../paged';
import { describeError } from '../problems';
import { hrefOf } from '../router';

const PAGE_SIZE = 25;

/** Admin › Users: every user of the directory, for admins. */
export function UsersPage({ api, me }: { api: Api; me: WhoAmI }) {
  return (
    <>
      <p class="breadcrumb">Admin › Users</p>
      <h1 tabIndex={-1}>Users</h1>
      {me.capabilities.admin ? <UserList api={api} /> : <p>Admin › Users is for admins: you have no admin role.</p>}
    </>
  );
}

function UserList({ api }: { api: Api }) {
  const list = usePaged<User>(async (cursor) => {
    const page = await answer(
      api.GET('/api/v1/auth/users', {
        params: { query: { limit: PAGE_SIZE, ...(cursor ? { nextToken: cursor } : {}) } },
      }),
    );
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
