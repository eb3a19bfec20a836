import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { accountApi } from '../api/account';
import type { AccountScope, Api, FederationPolicy, WhoAmI } from '../api/client';
import { GuardedButton } from '../components/guarded-button';
import { ErrorNotice, Status } from '../components/notice';
import { DeletePolicyDialog, TestPolicyDialog } from '../components/policy-dialogs';
import { NewPolicyDialog } from '../components/policy-form';
import { formatDate, formatDuration, formatList, formatMaxRps } from '../format';
import { refusal } from '../permissions';
import { describeError } from '../problems';

type Open = { dialog: 'new' } | { dialog: 'test' | 'delete'; policy: FederationPolicy } | undefined;

interface FederationPanelProps {
  api: Api;
  me: WhoAmI;
  account: AccountScope;
  groups: string[];
}

/**
 * The Federation tab: which CI jobs may trade their OIDC token for a short-lived token of
 * this account (docs/federation.md). Lists the policies (at most 50, one call); New
 * policy, Test against a pasted token, Delete with confirmation.
 */
export function FederationPanel({ api, me, account, groups }: FederationPanelProps) {
  const policies = useMemo(() => accountApi(api, account), [api, account.userId]);
  const [state, setState] = useState<{ items?: FederationPolicy[]; error?: unknown }>({});
  const [reloads, setReloads] = useState(0);
  const [open, setOpen] = useState<Open>();
  const [status, setStatus] = useState('');
  const newPolicy = useRef<HTMLButtonElement>(null);
  const why = refusal(me, account, state.error);

  useEffect(() => {
    let current = true;
    policies.policies().then(
      (items) => current && setState({ items }),
      (error: unknown) => current && setState({ error }),
    );
    return () => {
      current = false;
    };
  }, [policies, reloads]);

  const done = (message: string) => {
    setOpen(undefined);
    setStatus(message);
    setReloads((n) => n + 1);
  };
  const dialogProps = { policies, onClose: () => setOpen(undefined), fallbackFocus: () => newPolicy.current };
  return (
    <>
      <p class="intro">
        A federation policy lets CI jobs (GitHub Actions, GitLab CI…) trade their own OIDC token for a short-lived
        access token of this account: nothing long-lived is stored in the CI system.
      </p>
      <div class="toolbar">
        <GuardedButton
          text="New policy"
          id="new-policy"
          why={why}
          buttonRef={newPolicy}
          onClick={() => setOpen({ dialog: 'new' })}
        />
      </div>
      <Status text={status} />
      {state.error !== undefined && <ErrorNotice message={describeError(state.error, { accountGroups: groups })} />}
      {state.items?.length === 0 && <p class="empty">This account has no federation policies yet.</p>}
      {state.items && state.items.length > 0 && (
        <ul class="policies" aria-label={`Federation policies of ${account.userId}`}>
          {state.items.map((policy) => (
            <PolicyCard key={policy.policyId} policy={policy} onOpen={setOpen} />
          ))}
        </ul>
      )}
      {open?.dialog === 'new' && (
        <NewPolicyDialog
          {...dialogProps}
          settings={me.tokenSettings}
          onCreated={(policy) => done(`Policy ${policy.name} created.`)}
        />
      )}
      {open?.dialog === 'test' && <TestPolicyDialog {...dialogProps} policy={open.policy} />}
      {open?.dialog === 'delete' && (
        <DeletePolicyDialog
          {...dialogProps}
          policy={open.policy}
          onDeleted={() => done(`Policy ${open.policy.name} deleted: its exchanges stop at once.`)}
        />
      )}
    </>
  );
}

function PolicyCard({ policy, onOpen }: { policy: FederationPolicy; onOpen: (open: Open) => void }) {
  const heading = `policy-${policy.policyId}`;
  const claims = Object.entries(policy.claims).map(([claim, patterns]) => `${claim}: ${patterns.join(' or ')}`);
  return (
    <li class="card">
      <h3 id={heading}>{policy.name}</h3>
      <dl class="details">
        <dt>Issuer</dt>
        <dd class="code">{policy.issuer}</dd>
        <dt>Subject</dt>
        <dd class="code">{policy.subject}</dd>
        <dt>Audiences</dt>
        <dd class="code">{formatList(policy.audiences)}</dd>
        <dt>Claims</dt>
        <dd class={claims.length > 0 ? 'code' : undefined}>{formatList(claims, 'Any')}</dd>
        <dt>Key hosts</dt>
        <dd class={policy.jwksHosts.length > 0 ? 'code' : undefined}>
          {formatList(policy.jwksHosts, 'The issuer’s own')}
        </dd>
        <dt>Issued tokens live</dt>
        <dd>at most {formatDuration(policy.maxTtlSeconds)}</dd>
        <dt>CI tokens accepted</dt>
        <dd>up to {formatDuration(policy.maxTokenAgeSeconds)} old</dd>
        <dt>Max RPS</dt>
        <dd>{policy.maxRps === null ? 'None' : `${formatMaxRps(policy.maxRps)}, shared by its tokens`}</dd>
        <dt>Created</dt>
        <dd>
          {formatDate(policy.createdAt)} by {policy.createdBy}
        </dd>
      </dl>
      <div class="actions">
        <button type="button" onClick={() => onOpen({ dialog: 'test', policy })}>
          Test<span class="visually-hidden"> policy {policy.name}</span>
        </button>
        <button type="button" class="danger" onClick={() => onOpen({ dialog: 'delete', policy })}>
          Delete<span class="visually-hidden"> policy {policy.name}</span>
        </button>
      </div>
    </li>
  );
}
