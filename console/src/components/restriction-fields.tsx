import { useState } from 'preact/hooks';
import type { Token } from '../api/client';
import type { TokensApi } from '../api/tokens';
import { ApiError, describeError, type Message } from '../problems';
import { type FieldErrors, focusFirst } from '../validate';
import { Dialog } from './dialog';
import { described } from './field';
import { ErrorNotice } from './notice';

/**
 * A token's restrictions on Generate and Edit: its scopes (checkboxes) and the networks
 * it may call from (one CIDR per line). The API checks both; its messages are shown on
 * the fields (docs/api.md, "Restricting a token").
 */

type Scope = Token['scopes'][number];
export const SCOPES: { scope: Scope; label: string }[] = [
  { scope: 'tokens:read', label: 'tokens:read: read tokens, their activity and policies' },
  { scope: 'tokens:write', label: 'tokens:write: create, change, rotate and delete tokens' },
  { scope: 'api', label: 'api: call the data platform' },
];

/** The form's state of a token's restrictions. */
export interface Restrictions {
  scopes: Scope[];
  networks: string;
}

export const UNRESTRICTED: Restrictions = { scopes: SCOPES.map(({ scope }) => scope), networks: '' };

export function restrictionsOf(token: Token): Restrictions {
  return { scopes: token.scopes, networks: (token.allowedCidrs ?? []).join('\n') };
}

/** The body's fields: the scopes, and the networks (none written: anywhere, null). */
export function restrictionBody(restrictions: Restrictions): { scopes: Scope[]; allowedCidrs: string[] | null } {
  const lines = restrictions.networks
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return { scopes: restrictions.scopes, allowedCidrs: lines.length === 0 ? null : lines };
}

export function restrictionProblems(restrictions: Restrictions): FieldErrors {
  const found: FieldErrors = {};
  if (restrictions.scopes.length === 0) found.scopes = 'Choose at least one scope.';
  if ((restrictionBody(restrictions).allowedCidrs?.length ?? 0) > 20) found.allowedCidrs = 'At most 20 networks.';
  return found;
}

/**
 * The API's field errors of the restrictions: each bad network (`allowedCidrs.2`) is said
 * on the one field, in its own words, which name the network.
 */
export function apiFieldErrors(error: unknown): FieldErrors {
  if (!(error instanceof ApiError) || error.code !== 'VALIDATION_FAILED') return {};
  const found: FieldErrors = {};
  for (const { field, message } of error.problem?.errors ?? []) {
    const [name = field] = field.split('.');
    if (name !== 'scopes' && name !== 'allowedCidrs') continue;
    const text = /^'/.test(message) ? message : `${name === 'allowedCidrs' ? 'Allowed networks' : name} ${message}`;
    found[name] = found[name] ? `${found[name]}; ${text}` : text;
  }
  return found;
}

export const RESTRICTION_IDS = { scopes: 'token-scope-tokens:read', allowedCidrs: 'token-networks' };

export function RestrictionFields({
  value,
  onChange,
  errors,
}: {
  value: Restrictions;
  onChange: (next: Restrictions) => void;
  errors: FieldErrors;
}) {
  const toggle = (scope: Scope, on: boolean) =>
    onChange({
      ...value,
      scopes: SCOPES.map((s) => s.scope).filter((s) => (s === scope ? on : value.scopes.includes(s))),
    });
  return (
    <>
      <fieldset class="field" aria-describedby={errors.scopes ? 'token-scopes-error' : undefined}>
        <legend>Scopes</legend>
        {SCOPES.map(({ scope, label }) => (
          <label key={scope} class="check">
            <input
              type="checkbox"
              id={`token-scope-${scope}`}
              checked={value.scopes.includes(scope)}
              onChange={(event) => toggle(scope, event.currentTarget.checked)}
            />{' '}
            {label}
          </label>
        ))}
        {errors.scopes && (
          <p class="field-error" id="token-scopes-error">
            {errors.scopes}
          </p>
        )}
      </fieldset>
      <div class="field">
        <label for="token-networks">Allowed networks (optional)</label>
        <textarea
          {...described('token-networks', errors.allowedCidrs)}
          rows={3}
          spellcheck={false}
          placeholder="203.0.113.0/24"
          value={value.networks}
          onInput={(event) => onChange({ ...value, networks: event.currentTarget.value })}
        />
        <p class="hint" id="token-networks-hint">
          One IPv4 or IPv6 network (CIDR) per line, at most 20. Calls from elsewhere are refused. Empty: anywhere.
        </p>
        {errors.allowedCidrs && (
          <p class="field-error" id="token-networks-error">
            {errors.allowedCidrs}
          </p>
        )}
      </div>
    </>
  );
}

/** Edit a token's scopes and networks: they apply from its next request. */
export function RestrictionsDialog({
  tokens,
  token,
  onClose,
  onDone,
  fallbackFocus,
}: {
  tokens: TokensApi;
  token: Token;
  onClose: () => void;
  onDone: (message: string, updated?: Token) => void;
  fallbackFocus: () => HTMLElement | null;
}) {
  const [value, setValue] = useState(restrictionsOf(token));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<Message | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setFailure(undefined);
    const found = restrictionProblems(value);
    setErrors(found);
    if (Object.keys(found).length > 0) return focusFirst(found, RESTRICTION_IDS);
    setBusy(true);
    try {
      const updated = await tokens.update(token.name, restrictionBody(value));
      onDone(`Scopes and networks of ${token.name} saved.`, updated);
    } catch (error) {
      const fields = apiFieldErrors(error);
      setErrors(fields);
      if (Object.keys(fields).length === 0) setFailure(describeError(error));
      else focusFirst(fields, RESTRICTION_IDS);
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Scopes and networks of “${token.name}”`} onClose={onClose} fallbackFocus={fallbackFocus}>
      <form onSubmit={submit} noValidate>
        {failure && <ErrorNotice message={failure} />}
        <RestrictionFields value={value} onChange={setValue} errors={errors} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Save
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** What a row says of a restricted token; nothing for one without restrictions. */
export function restrictionNote(token: Token): string | undefined {
  const scoped = token.scopes.length < SCOPES.length;
  const networks = token.allowedCidrs;
  if (!scoped && networks === null) return undefined;
  const parts = [
    ...(scoped ? [`Scopes: ${token.scopes.join(', ')}`] : []),
    ...(networks ? [`From: ${networks.join(', ')}`] : []),
  ];
  return parts.join(' · ');
}
