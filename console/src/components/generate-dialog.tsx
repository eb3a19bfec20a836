import { useEffect, useRef, useState } from 'preact/hooks';
import type { TokensApi } from '../api/tokens';
import { dayOf, endOfDay } from '../format';
import { ApiError, describeError, fieldMessages, type Message } from '../problems';
import { Dialog } from './dialog';
import { ErrorNotice, Status } from './notice';

interface GenerateDialogProps {
  tokens: TokensApi;
  accountId: string;
  onClose: () => void;
  /** A token was created: the list should show it (behind the dialog). */
  onCreated: (name: string) => void;
  fallbackFocus: () => HTMLElement | null;
}

/**
 * Generate new token: name, optional Max RPS, optional expiry; then the secret, once,
 * with Copy and Download. The secret lives only in this dialog's state: closing the
 * dialog unmounts it, and nothing else ever held it.
 */
export function GenerateDialog({ tokens, accountId, onClose, onCreated, fallbackFocus }: GenerateDialogProps) {
  const [created, setCreated] = useState<{ name: string; token: string } | undefined>();
  return (
    <Dialog title={created ? 'Token generated' : 'Generate new token'} onClose={onClose} fallbackFocus={fallbackFocus}>
      {created ? (
        <SecretView accountId={accountId} name={created.name} token={created.token} onDone={onClose} />
      ) : (
        <GenerateForm
          tokens={tokens}
          onCancel={onClose}
          onCreated={(name, token) => {
            setCreated({ name, token });
            onCreated(name);
          }}
        />
      )}
    </Dialog>
  );
}

function GenerateForm({
  tokens,
  onCancel,
  onCreated,
}: {
  tokens: TokensApi;
  onCancel: () => void;
  onCreated: (name: string, token: string) => void;
}) {
  const [name, setName] = useState('');
  const [maxRps, setMaxRps] = useState('');
  const [expires, setExpires] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<Message | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFailure(undefined);
    try {
      const body = {
        name: name.trim(),
        ...(maxRps.trim() ? { maxRps: Number(maxRps) } : {}),
        ...(expires ? { expiresAt: endOfDay(expires) ?? expires } : {}),
      };
      const createdToken = await tokens.create(body);
      onCreated(createdToken.name, createdToken.token);
    } catch (error) {
      const fields =
        error instanceof ApiError && error.code === 'VALIDATION_FAILED' ? fieldMessages(error.problem) : {};
      setErrors(fields);
      if (Object.keys(fields).length === 0) setFailure(describeError(error));
      setBusy(false);
    }
  }

  const described = (field: string, hint: string) => (errors[field] ? `${hint} ${field}-error` : hint);
  return (
    <form onSubmit={submit}>
      {failure && <ErrorNotice message={failure} />}
      <div class="field">
        <label for="token-name">Name</label>
        <input
          id="token-name"
          name="name"
          required
          autoFocus
          maxLength={64}
          pattern="[A-Za-z0-9._\-]{1,64}"
          autocomplete="off"
          spellcheck={false}
          value={name}
          onInput={(event) => setName(event.currentTarget.value)}
          aria-invalid={errors.name ? true : undefined}
          aria-describedby={described('name', 'token-name-hint')}
        />
        <p class="hint" id="token-name-hint">
          1–64 letters, digits, dots, underscores or hyphens; unique for this account.
        </p>
        {errors.name && (
          <p class="field-error" id="name-error">
            {errors.name}
          </p>
        )}
      </div>
      <div class="field">
        <label for="token-max-rps">Max RPS (optional)</label>
        <input
          id="token-max-rps"
          name="maxRps"
          type="number"
          min={1}
          max={10000}
          step={1}
          inputMode="numeric"
          value={maxRps}
          onInput={(event) => setMaxRps(event.currentTarget.value)}
          aria-invalid={errors.maxRps ? true : undefined}
          aria-describedby={described('maxRps', 'token-max-rps-hint')}
        />
        <p class="hint" id="token-max-rps-hint">
          Requests per second, 1–10000. Leave empty for no limit (None).
        </p>
        {errors.maxRps && (
          <p class="field-error" id="maxRps-error">
            {errors.maxRps}
          </p>
        )}
      </div>
      <div class="field">
        <label for="token-expires">Expires on (optional)</label>
        <input
          id="token-expires"
          name="expires"
          type="date"
          min={dayOf(new Date())}
          value={expires}
          onInput={(event) => setExpires(event.currentTarget.value)}
          aria-invalid={errors.expiresAt ? true : undefined}
          aria-describedby={described('expiresAt', 'token-expires-hint')}
        />
        <p class="hint" id="token-expires-hint">
          The token stops working at the end of that day. Leave empty for a token that never expires.
        </p>
        {errors.expiresAt && (
          <p class="field-error" id="expiresAt-error">
            {errors.expiresAt}
          </p>
        )}
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Generating…' : 'Generate token'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function SecretView({
  accountId,
  name,
  token,
  onDone,
}: {
  accountId: string;
  name: string;
  token: string;
  onDone: () => void;
}) {
  const [status, setStatus] = useState('');
  const field = useRef<HTMLInputElement>(null);
  const done = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    field.current?.focus();
    field.current?.select();
    // The secret leaves the page with the dialog: clear the field before it goes.
    const input = field.current;
    return () => {
      if (input) input.value = '';
    };
  }, []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(token);
    } catch {
      field.current?.select();
      document.execCommand('copy');
    }
    setStatus('Token copied to the clipboard.');
  }

  function download() {
    const url = URL.createObjectURL(new Blob([`${token}\n`], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `${accountId}-${name}.token`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
    setStatus(`Token downloaded as ${link.download}.`);
  }

  return (
    <>
      <div class="notice warning" role="alert">
        <p>
          <strong>Copy or download this token now: it cannot be shown again.</strong>
        </p>
        <p>Only a hash of it is kept. If you lose it, delete it and generate a new one.</p>
      </div>
      <div class="field">
        <label for="token-secret">Token “{name}”</label>
        <input
          id="token-secret"
          ref={field}
          class="secret"
          readOnly
          value={token}
          autocomplete="off"
          spellcheck={false}
          onFocus={(event) => event.currentTarget.select()}
        />
      </div>
      <div class="actions">
        <button type="button" onClick={copy}>
          Copy
        </button>
        <button type="button" onClick={download}>
          Download
        </button>
        <button type="button" class="primary" ref={done} onClick={onDone}>
          Done
        </button>
      </div>
      <Status text={status} />
    </>
  );
}
