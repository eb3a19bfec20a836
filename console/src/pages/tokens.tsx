import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { AccountScope, Api, Token, WhoAmI } from '../api/client';
import { tokensApi } from '../api/tokens';
import { GenerateDialog } from '../components/generate-dialog';
import { ErrorNotice, Status } from '../components/notice';
import { Pager } from '../components/pager';
import { DeleteDialog, MaxRpsDialog } from '../components/token-dialogs';
import { formatDate, formatMaxRps, formatStatus } from '../format';
import { usePaged } from '../paged';
import { ApiError, describeError, type Message } from '../problems';

const PAGE_SIZE = 20;

type Open = { dialog: 'generate' } | { dialog: 'max-rps' | 'delete'; token: Token } | undefined;

interface TokensPanelProps {
  api: Api;
  me: WhoAmI;
  account: AccountScope;
  /** The service account's groups, for the same-group refusal's advice. */
  groups: string[];
}

/** Why the caller may not generate a token here, if they may not. */
function refusal(me: WhoAmI, account: AccountScope, listError: unknown): string | undefined {
  if (account.scope === 'domain' && !me.capabilities.manageTokensIn.includes(account.domain)) {
    return `You need the permission to manage access tokens in ${account.domain} (access_token.manage, or MANAGE_ACCESS_TOKEN). Ask an admin for it.`;
  }
  if (account.scope === 'admin' && !me.capabilities.admin) return 'Only admins can manage tokens from Admin › Users.';
  if (listError instanceof ApiError && (listError.code === 'NOT_SAME_GROUP' || listError.code === 'FORBIDDEN'))
    return listError.problem?.detail;
  return undefined;
}

/** The Access Tokens tab of a service account: its tokens, and what the caller may do with them. */
export function TokensPanel({ api, me, account, groups }: TokensPanelProps) {
  const tokens = useMemo(() => tokensApi(api, account), [api, account.userId]);
  const list = usePaged<Token>(async (cursor) => {
    const page = await tokens.list(cursor, PAGE_SIZE);
    return { items: page.tokens, next: page.nextToken };
  });
  const [open, setOpen] = useState<Open>();
  const [status, setStatus] = useState('');
  const [failure, setFailure] = useState<Message | undefined>();
  const generate = useRef<HTMLButtonElement>(null);
  const rendered = useRef(false);
  const why = refusal(me, account, list.error);

  // When the list first shows, for the console's first-render budget (measured by the browser tests).
  useEffect(() => {
    if (list.items && !rendered.current) {
      rendered.current = true;
      performance.mark('tokens-rendered');
    }
  }, [list.items]);

  // The row shows the API's answer before the message says so; the reload then brings the rest of the page.
  const done = (message: string, edit?: (items: Token[]) => Token[]) => {
    setOpen(undefined);
    if (edit) list.change(edit);
    setStatus(message);
    list.reload();
  };

  async function setActive(token: Token, active: boolean) {
    setFailure(undefined);
    try {
      const updated = await tokens.update(token.name, { status: active ? 'ACTIVE' : 'SUSPENDED' });
      done(
        `Token ${token.name} ${active ? 'reactivated: it works again' : 'suspended: it is refused from its next request'}.`,
        replacing(updated),
      );
    } catch (error) {
      setFailure(describeError(error, { accountGroups: groups }));
    }
  }

  return (
    <>
      <div class="toolbar">
        <span class="tip-host" tabIndex={why ? 0 : undefined} aria-describedby={why ? 'generate-why' : undefined}>
          <button
            type="button"
            class="primary"
            ref={generate}
            disabled={why !== undefined}
            aria-describedby={why ? 'generate-why' : undefined}
            onClick={() => setOpen({ dialog: 'generate' })}
          >
            Generate new token
          </button>
          {why && (
            <span class="tip" role="tooltip" id="generate-why">
              {why}
            </span>
          )}
        </span>
      </div>
      <Status text={status} />
      {failure && <ErrorNotice message={failure} />}
      {list.error ? (
        <ErrorNotice message={describeError(list.error, { accountGroups: groups })} />
      ) : (
        <TokenTable
          items={list.items}
          loading={list.loading}
          accountId={account.userId}
          onActive={setActive}
          onOpen={setOpen}
        />
      )}
      <Pager
        label="Token pages"
        page={list.page}
        hasPrevious={list.hasPrevious}
        hasNext={list.hasNext}
        onPrevious={list.previous}
        onNext={list.next}
      />
      {open?.dialog === 'generate' && (
        <GenerateDialog
          tokens={tokens}
          accountId={account.userId}
          onClose={() => setOpen(undefined)}
          onCreated={(name) => (setStatus(`Token ${name} generated.`), list.reload())}
          fallbackFocus={() => generate.current}
        />
      )}
      {open?.dialog === 'max-rps' && (
        <MaxRpsDialog
          tokens={tokens}
          token={open.token}
          onClose={() => setOpen(undefined)}
          onDone={(message, updated) => done(message, updated && replacing(updated))}
          fallbackFocus={() => generate.current}
        />
      )}
      {open?.dialog === 'delete' && (
        <DeleteDialog
          tokens={tokens}
          token={open.token}
          onClose={() => setOpen(undefined)}
          onDone={(message) => done(message, without(open.token))}
          fallbackFocus={() => generate.current}
        />
      )}
    </>
  );
}

const replacing = (updated: Token) => (items: Token[]) =>
  items.map((token) => (token.name === updated.name ? updated : token));
const without = (removed: Token) => (items: Token[]) => items.filter((token) => token.name !== removed.name);

interface TokenTableProps {
  items: Token[] | undefined;
  loading: boolean;
  accountId: string;
  onActive: (token: Token, active: boolean) => void;
  onOpen: (open: Open) => void;
}

function TokenTable({ items, loading, accountId, onActive, onOpen }: TokenTableProps) {
  if (items?.length === 0) return <p class="empty">This account has no tokens yet.</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={`Access tokens of ${accountId}`}>
      <table class="tokens" aria-busy={loading}>
        <caption>Access tokens of {accountId}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Max RPS</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">Created</th>
            <th scope="col">Created by</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {items?.map((token) => (
            <tr key={token.name}>
              <th scope="row">
                {token.name}
                <span class="prefix" title="The token's non-secret start">
                  {token.prefix}…
                </span>
              </th>
              <td>
                <span class={`badge ${token.status.toLowerCase()}`}>{formatStatus(token.status)}</span>
              </td>
              <td>{formatMaxRps(token.maxRps)}</td>
              <td>{formatDate(token.expiresAt)}</td>
              <td>{formatDate(token.lastUsedAt)}</td>
              <td>{formatDate(token.createdAt)}</td>
              <td>{token.createdBy}</td>
              <td class="row-actions">
                {token.status !== 'EXPIRED' && (
                  // One button whose words change, so focus stays on it after the change.
                  <button type="button" onClick={() => onActive(token, token.status !== 'ACTIVE')}>
                    {token.status === 'ACTIVE' ? 'Suspend' : 'Reactivate'}
                    <span class="visually-hidden"> {token.name}</span>
                  </button>
                )}
                <button type="button" onClick={() => onOpen({ dialog: 'max-rps', token })}>
                  Edit Max RPS<span class="visually-hidden"> of {token.name}</span>
                </button>
                <button type="button" class="danger" onClick={() => onOpen({ dialog: 'delete', token })}>
                  Delete<span class="visually-hidden"> {token.name}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
