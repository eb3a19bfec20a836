import type { Api, Member, WhoAmI } from '../api/client';
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

/** Settings › Members: a domain the caller belongs to, then its members. */
export function MembersPage({ api, me, domain }: { api: Api; me: WhoAmI; domain: string | undefined }) {
  const domains = me.capabilities.domains;
  // With one domain there is nothing to choose.
  const shown = domain ?? (domains.length === 1 ? domains[0] : undefined);
  return (
    <>
      <p class="breadcrumb">Settings › Members</p>
      <h1 tabIndex={-1}>Members</h1>
      {domains.length === 0 ? (
        <p>You are not a member of any domain, so there are no members to show.</p>
      ) : (
        <div class="field inline">
          <label for="domain">Domain</label>
          <select
            id="domain"
            value={shown ?? ''}
            onChange={(event) => (location.hash = hrefOf({ page: 'members', domain: event.currentTarget.value }))}
          >
            {shown === undefined && <option value="">Choose a domain</option>}
            {domains.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </div>
      )}
      {shown !== undefined && <MemberSearch key={shown} api={api} domain={shown} />}
    </>
  );
}

/** The search box, and the list of what it finds (a new search starts at its first page). */
function MemberSearch({ api, domain }: { api: Api; domain: string }) {
  const [q, setQ] = useState('');
  return (
    <>
      <SearchBox id="member-search" label="Search members" onSearch={setQ} />
      <MemberList key={q} api={api} domain={domain} q={q} />
    </>
  );
}

function MemberList({ api, domain, q }: { api: Api; domain: string; q: string }) {
  const list = usePaged<Member>(async (cursor) => {
    const query = { limit: PAGE_SIZE, ...(q ? { q } : {}), ...(cursor ? { nextToken: cursor } : {}) };
    const page = await answer(api.GET('/api/v1/domains/{domain}/members', { params: { path: { domain }, query } }));
    return { items: page.members, next: page.nextToken };
  });
  if (list.error) return <ErrorNotice message={describeError(list.error)} />;
  return (
    <>
      <div class="table-wrap" tabIndex={0} role="region" aria-label={`Members of ${domain}`}>
        <table aria-busy={list.loading}>
          <caption>Members of {domain}</caption>
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Type</th>
              <th scope="col">Groups</th>
            </tr>
          </thead>
          <tbody>
            {list.items?.map((member) => (
              <tr key={member.id}>
                <th scope="row">
                  <a href={hrefOf({ page: 'account', scope: 'domain', domain, userId: member.id, tab: 'details' })}>
                    {member.id}
                  </a>
                </th>
                <td>{formatType(member.type)}</td>
                <td>{formatList(member.groups)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.items?.length === 0 && (
        <p role="status">{q ? `No member’s id starts with “${q}”.` : 'This domain has no members.'}</p>
      )}
      <Pager
        label="Members pages"
        page={list.page}
        hasPrevious={list.hasPrevious}
        hasNext={list.hasNext}
        onPrevious={list.previous}
        onNext={list.next}
      />
    </>
  );
}
