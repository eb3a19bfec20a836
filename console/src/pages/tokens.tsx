import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { accountApi } from '../api/account';
import type { AccountScope, Api, Token, WhoAmI } from '../api/client';
import { tokensApi } from '../api/tokens';
import { GenerateDialog } from '../components/generate-dialog';
import { GuardedButton } from '../components/guarded-button';
import { ErrorNotice, Status } from '../components/notice';
import { Pager } from '../components/pager';
import { EndGraceDialog, RotateDialog } from '../components/rotate-dialogs';
import { DeleteDialog, MaxRpsDialog } from '../components/token-dialogs';
import { type TokenAction, TokenTable } from '../components/token-table';
import { suspensionOf } from '../event-words';
import { usePaged } from '../paged';
import { refusal } from '../permissions';
import { describeError, type Message } from '../problems';
import { type AccountRoute, hrefOf, withTab } from '../router';

const PAGE_SIZE = 20;
/** How far back the trail is read for why a token is suspended: a few pages of its own events. */
const SUSPENSION_PAGES = 3;

type Open =
  | { dialog: 'generate' }
  | { dialog: 'max-rps' | 'delete' | 'rotate' | 'end-grace'; token: Token }
  | undefined;

interface TokensPanelProps {
  api: Api;
  me: WhoAmI;
  account: AccountScope;
  /** The service account's groups, for the same-group refusal's advice. */
  groups: string[];
  route: AccountRoute;
}

/** The Access Tokens tab of a service account: its tokens, and what the caller may do with them. */
export function TokensPanel({ api, me, account, groups, route }: TokensPanelProps) {
  const tokens = useMemo(() => tokensApi(api, account), [api, account.userId]);
  const trail = useMemo(() => accountApi(api, account), [api, account.userId]);
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
      const what = active ? 'reactivated: it works again' : 'suspended: it is refused from its next request';
      done(`Token ${token.name} ${what}.`, replacing(updated));
    } catch (error) {
      setFailure(describeError(error, { accountGroups: groups }));
    }
  }

  /** Why a suspended token is suspended: the newest of its events that says, within a few pages. */
  async function suspension(token: Token): Promise<string | null> {
    let cursor: string | undefined;
    for (let page = 0; page < SUSPENSION_PAGES; page++) {
      const { events, nextToken } = await trail.events({ cursor, limit: 25, tokenName: token.name });
      const said = suspensionOf(events);
      if (said !== undefined) return said;
      if (nextToken === null) return null;
      cursor = nextToken;
    }
    return null;
  }

  function onAction(action: TokenAction, token: Token) {
    setStatus('');
    if (action === 'suspend' || action === 'reactivate') void setActive(token, action === 'reactivate');
    else if (action === 'activity') location.hash = hrefOf(withTab(route, 'activity', token.name));
    else setOpen({ dialog: action, token });
  }

  const dialogProps = { tokens, onClose: () => setOpen(undefined), fallbackFocus: () => generate.current };
  return (
    <>
      <div class="toolbar">
        <GuardedButton
          text="Generate new token"
          id="generate"
          why={why}
          buttonRef={generate}
          onClick={() => setOpen({ dialog: 'generate' })}
        />
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
          onAction={onAction}
          suspension={suspension}
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
          {...dialogProps}
          accountId={account.userId}
          onCreated={(name) => {
            setStatus(`Token ${name} generated.`);
            list.reload();
          }}
        />
      )}
      {open?.dialog === 'max-rps' && (
        <MaxRpsDialog
          {...dialogProps}
          token={open.token}
          onDone={(message, updated) => done(message, updated && replacing(updated))}
        />
      )}
      {open?.dialog === 'delete' && (
        <DeleteDialog {...dialogProps} token={open.token} onDone={(message) => done(message, without(open.token))} />
      )}
      {(open?.dialog === 'rotate' || open?.dialog === 'end-grace') && (
        <RotationDialog
          kind={open.dialog}
          {...dialogProps}
          token={open.token}
          accountId={account.userId}
          // The dialog stays open on the new secret: the row changes behind it.
          onRotated={(updated, message) => {
            list.change(replacing(updated));
            setStatus(message);
            list.reload();
          }}
        />
      )}
    </>
  );
}

function RotationDialog({ kind, ...props }: { kind: 'rotate' | 'end-grace' } & Parameters<typeof RotateDialog>[0]) {
  return kind === 'rotate' ? <RotateDialog {...props} /> : <EndGraceDialog {...props} />;
}

const replacing = (updated: Token) => (items: Token[]) =>
  items.map((token) => (token.name === updated.name ? updated : token));
const without = (removed: Token) => (items: Token[]) => items.filter((token) => token.name !== removed.name);
