import { useEffect, useState } from 'preact/hooks';
import type { Token } from '../api/client';
import { expiryWarning, formatDate, formatMaxRps, formatStatus } from '../format';
import { type MenuItem, MenuButton } from './menu';

/** What a row's Actions menu asks the panel to do. */
export type TokenAction = 'rotate' | 'end-grace' | 'suspend' | 'reactivate' | 'max-rps' | 'activity' | 'delete';

interface TokenTableProps {
  items: Token[] | undefined;
  loading: boolean;
  accountId: string;
  onAction: (action: TokenAction, token: Token) => void;
  /** Why a suspended token is suspended, from its audit trail; null when the trail cannot say. */
  suspension: (token: Token) => Promise<string | null>;
}

/**
 * The account's tokens: a table that fits its column at any desktop width (names wrap,
 * each row's actions are one menu button) and, on a phone, one card per token (styles.css).
 */
export function TokenTable({ items, loading, accountId, onAction, suspension }: TokenTableProps) {
  if (items?.length === 0) return <p class="empty">This account has no tokens yet.</p>;
  return (
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
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {items?.map((token) => (
          <TokenRow key={token.name} token={token} onAction={onAction} suspension={suspension} />
        ))}
      </tbody>
    </table>
  );
}

function actionsOf(token: Token): { label: string; action: TokenAction; danger?: boolean }[] {
  const live = token.status !== 'EXPIRED';
  const stored = token.kind === 'STORED';
  return [
    // A federated token lives minutes, and its job's next exchange brings a new one.
    ...(live && stored ? [{ label: 'Rotate', action: 'rotate' as const }] : []),
    ...(token.previousSecret ? [{ label: 'End grace period now', action: 'end-grace' as const, danger: true }] : []),
    ...(live && token.status === 'ACTIVE' ? [{ label: 'Suspend', action: 'suspend' as const }] : []),
    ...(live && token.status === 'SUSPENDED' ? [{ label: 'Reactivate', action: 'reactivate' as const }] : []),
    // A federated token's limit is its policy's; an expired token never works again.
    ...(live && stored ? [{ label: 'Edit Max RPS', action: 'max-rps' as const }] : []),
    { label: 'Activity', action: 'activity' },
    { label: 'Delete', action: 'delete', danger: true },
  ];
}

function TokenRow({
  token,
  onAction,
  suspension,
}: { token: Token } & Omit<TokenTableProps, 'items' | 'loading' | 'accountId'>) {
  const warning = token.status === 'ACTIVE' ? expiryWarning(token.expiresAt) : undefined;
  const items: MenuItem[] = actionsOf(token).map(({ label, action, danger }) => ({
    label,
    danger,
    onSelect: () => onAction(action, token),
  }));
  return (
    <tr>
      <th scope="row">
        <span class="token-name">{token.name}</span>
        <span class="prefix" title="The token's non-secret start">
          {token.prefix}…
        </span>
        {token.kind === 'FEDERATED' && (
          <span class="note">
            <span class="badge federated">Federated</span> by policy {token.policyName}
          </span>
        )}
      </th>
      <td data-label="Status">
        <span class={`badge ${token.status.toLowerCase()}`}>{formatStatus(token.status)}</span>
        {token.status === 'SUSPENDED' && <SuspensionNote token={token} suspension={suspension} />}
        {token.previousSecret && (
          <span class="note rotation">
            Previous secret valid until {formatDate(token.previousSecret.validUntil)}; last used{' '}
            {formatDate(token.previousSecret.lastUsedAt, 'never')}
          </span>
        )}
      </td>
      <td data-label="Max RPS">{formatMaxRps(token.maxRps)}</td>
      <td data-label="Expires">
        {formatDate(token.expiresAt)}
        {warning && <span class="note expiry-warning">{warning}</span>}
      </td>
      <td data-label="Last used">{formatDate(token.lastUsedAt)}</td>
      <td data-label="Created">
        {formatDate(token.createdAt)}
        <span class="note">by {token.createdBy}</span>
      </td>
      <td class="row-actions">
        <MenuButton text="Actions" label={`Actions for ${token.name}`} items={items} />
      </td>
    </tr>
  );
}

/** Why the token is suspended, once its trail has said. */
function SuspensionNote({ token, suspension }: { token: Token; suspension: TokenTableProps['suspension'] }) {
  const [why, setWhy] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    suspension(token).then(
      (text) => current && setWhy(text),
      () => current && setWhy(null),
    );
    return () => {
      current = false;
    };
  }, [token.name, token.updatedAt]);
  return why ? <span class="note suspension">{why}</span> : null;
}
