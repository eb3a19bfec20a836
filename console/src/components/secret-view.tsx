import { useEffect, useRef, useState } from 'preact/hooks';
import { Status } from './notice';

/**
 * Whether the person has confirmed they kept a secret shown once, and a reminder when
 * they try to leave before: the dialog showing it stays until they confirm, whatever key
 * or click asks it to close.
 */
export function useSecretGuard(onClose: () => void) {
  const [saved, setSaved] = useState(false);
  const [reminders, setReminders] = useState(0);
  return {
    saved,
    setSaved,
    /** How many times leaving was refused (each one announced and focusing the confirmation). */
    reminders,
    requestClose: () => (saved ? onClose() : setReminders((n) => n + 1)),
  };
}

export type SecretGuard = ReturnType<typeof useSecretGuard>;

interface SecretViewProps {
  accountId: string;
  name: string;
  token: string;
  guard: SecretGuard;
  /** What the new secret replaces, said before the secret (a rotation's grace period). */
  lead?: string;
}

/**
 * A secret, shown once, with Copy and Download; closed with Done once its keeper confirms
 * they copied or downloaded it. The secret lives only in this view's props: closing the
 * dialog unmounts it, and nothing else ever held it.
 */
export function SecretView({ accountId, name, token, guard, lead }: SecretViewProps) {
  const [status, setStatus] = useState('');
  const field = useRef<HTMLInputElement>(null);
  const confirm = useRef<HTMLInputElement>(null);

  useEffect(() => {
    field.current?.focus();
    field.current?.select();
    // The secret leaves the page with the dialog: clear the field before it goes.
    const input = field.current;
    return () => {
      if (input) input.value = '';
    };
  }, []);

  useEffect(() => {
    if (guard.reminders > 0) confirm.current?.focus();
  }, [guard.reminders]);

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

  const remind = guard.reminders > 0 && !guard.saved;
  return (
    <>
      <div class="notice warning" role="alert">
        {lead && <p>{lead}</p>}
        <p>
          <strong>Copy or download this token now: it cannot be shown again.</strong>
        </p>
        <p>Only a hash of it is kept. If you lose it, rotate the token or generate a new one.</p>
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
      </div>
      <Status text={status} />
      <div class="field check">
        <input
          id="secret-saved"
          type="checkbox"
          ref={confirm}
          checked={guard.saved}
          onChange={(event) => guard.setSaved(event.currentTarget.checked)}
          aria-invalid={remind ? true : undefined}
          aria-describedby={remind ? 'secret-saved-error' : undefined}
        />
        <label for="secret-saved">I have copied or downloaded this token</label>
      </div>
      {remind && (
        // Keyed by the attempt, so each refused close is announced again.
        <p class="field-error" id="secret-saved-error" role="alert" key={guard.reminders}>
          Confirm that you copied or downloaded the token before closing: it cannot be shown again.
        </p>
      )}
      <div class="actions">
        <button type="button" class="primary" onClick={guard.requestClose}>
          Done
        </button>
      </div>
    </>
  );
}
