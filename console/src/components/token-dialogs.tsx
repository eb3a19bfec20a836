import { useState } from 'preact/hooks';
import type { Token } from '../api/client';
import type { TokensApi } from '../api/tokens';
import { formatMaxRps } from '../format';
import { ApiError, describeError, fieldMessages, type Message } from '../problems';
import { integerProblem } from '../validate';
import { Dialog } from './dialog';
import { described, Field } from './field';
import { ErrorNotice } from './notice';

interface TokenDialogProps {
  tokens: TokensApi;
  token: Token;
  onClose: () => void;
  /** The change went through; the message says what it did, and `updated` is the token as it now is. */
  onDone: (message: string, updated?: Token) => void;
  fallbackFocus: () => HTMLElement | null;
}

/** Max RPS of a token: a number, or empty for no limit ("None"). Applies at once. */
export function MaxRpsDialog({ tokens, token, onClose, onDone, fallbackFocus }: TokenDialogProps) {
  const [value, setValue] = useState(token.maxRps === null ? '' : String(token.maxRps));
  const [invalid, setInvalid] = useState<string | undefined>();
  const [failure, setFailure] = useState<Message | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setFailure(undefined);
    const problem = integerProblem(value, 'Max RPS', { min: 1, max: 3_000 });
    setInvalid(problem);
    if (problem) return document.getElementById('edit-max-rps')?.focus();
    setBusy(true);
    const maxRps = value.trim() === '' ? null : Number(value);
    try {
      const updated = await tokens.update(token.name, { maxRps });
      onDone(`Max RPS of ${token.name} is now ${formatMaxRps(maxRps)}.`, updated);
    } catch (error) {
      const fields = error instanceof ApiError ? fieldMessages(error.problem) : {};
      if (fields.maxRps) setInvalid(fields.maxRps);
      else setFailure(describeError(error));
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Rate limit of “${token.name}”`} onClose={onClose} fallbackFocus={fallbackFocus}>
      <form onSubmit={submit} noValidate>
        {failure && <ErrorNotice message={failure} />}
        <Field
          id="edit-max-rps"
          label="Max RPS"
          error={invalid}
          hint="Requests per second, 1–3000. Leave empty for no limit (None). Applies from the next request."
        >
          <input
            {...described('edit-max-rps', invalid)}
            inputMode="numeric"
            autoFocus
            value={value}
            onInput={(event) => setValue(event.currentTarget.value)}
          />
        </Field>
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

/** Deleting a token, confirmed first: it stops working on the next request. */
export function DeleteDialog({ tokens, token, onClose, onDone, fallbackFocus }: TokenDialogProps) {
  const [failure, setFailure] = useState<Message | undefined>();
  const [busy, setBusy] = useState(false);

  async function confirm() {
    setBusy(true);
    setFailure(undefined);
    try {
      await tokens.remove(token.name);
      onDone(`Token ${token.name} deleted.`);
    } catch (error) {
      setFailure(describeError(error));
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Delete token “${token.name}”?`} onClose={onClose} fallbackFocus={fallbackFocus}>
      {failure && <ErrorNotice message={failure} />}
      <p>
        Anything still using it is refused from its next request. This cannot be undone; its name becomes free again.
      </p>
      <div class="actions">
        <button type="button" class="danger" onClick={confirm} disabled={busy}>
          Delete token
        </button>
        <button type="button" autoFocus onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
