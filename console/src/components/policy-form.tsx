import { useState } from 'preact/hooks';
import type { AccountApi } from '../api/account';
import type { FederationPolicy, TokenSettings } from '../api/client';
import { bodyOf, checkPolicy, EMPTY, fieldsFor, IDS, policyFieldErrors, type Values } from '../policy-fields';
import { ApiError, describeError, type Message } from '../problems';
import { type FieldErrors, focusFirst } from '../validate';
import { Dialog } from './dialog';
import { described, Field } from './field';
import { ErrorNotice } from './notice';

interface NewPolicyProps {
  policies: AccountApi;
  onClose: () => void;
  onCreated: (policy: FederationPolicy) => void;
  fallbackFocus: () => HTMLElement | null;
  /** The deployment's rules (whoami's tokenSettings): the highest Max RPS. */
  settings: TokenSettings;
}

/** New policy: what a CI job's token must say, and what the tokens it gets may do. */
export function NewPolicyDialog({ policies, onClose, onCreated, fallbackFocus, settings }: NewPolicyProps) {
  const [values, setValues] = useState<Values>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<Message | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setFailure(undefined);
    const found = checkPolicy(values, settings);
    setErrors(found);
    if (Object.keys(found).length > 0) return focusFirst(found, IDS);
    setBusy(true);
    try {
      onCreated(await policies.createPolicy(bodyOf(values)));
    } catch (error) {
      const fields = error instanceof ApiError ? policyFieldErrors(error.problem) : {};
      setErrors(fields);
      if (Object.keys(fields).length === 0) setFailure(describeError(error));
      else focusFirst(fields, IDS);
      setBusy(false);
    }
  }

  return (
    <Dialog title="New federation policy" onClose={onClose} fallbackFocus={fallbackFocus}>
      <form onSubmit={submit} noValidate>
        {failure && <ErrorNotice message={failure} />}
        {fieldsFor(settings).map(({ field, label, hint, multiline, numeric }) => {
          const props = {
            ...described(IDS[field]!, errors[field]),
            value: values[field],
            autocomplete: 'off',
            spellcheck: false,
            autoFocus: field === 'name',
            inputMode: numeric ? ('numeric' as const) : undefined,
            onInput: (event: Event) => {
              const value = (event.currentTarget as HTMLInputElement).value;
              setValues((previous) => ({ ...previous, [field]: value }));
            },
          };
          return (
            <Field key={field} id={IDS[field]!} label={label} error={errors[field]} hint={hint}>
              {multiline ? <textarea rows={3} {...props} /> : <input {...props} />}
            </Field>
          );
        })}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create policy'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
