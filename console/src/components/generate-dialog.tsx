import { useState } from 'preact/hooks';
import type { TokensApi } from '../api/tokens';
import { dayOf, endOfDay, formatDate } from '../format';
import { ApiError, describeError, fieldMessages, type Message } from '../problems';
import { type FieldErrors, focusFirst, integerProblem, nameProblem } from '../validate';
import { Dialog } from './dialog';
import { described, Field } from './field';
import { ErrorNotice } from './notice';
import { SecretView, useSecretGuard } from './secret-view';

interface GenerateDialogProps {
  tokens: TokensApi;
  accountId: string;
  onClose: () => void;
  /** A token was created: the list should show it (behind the dialog). */
  onCreated: (name: string) => void;
  fallbackFocus: () => HTMLElement | null;
}

/**
 * Generate new token: name, optional Max RPS, an expiry (90 days unless another is
 * chosen; never only when chosen); then the secret, once, with Copy and Download.
 */
export function GenerateDialog({ tokens, accountId, onClose, onCreated, fallbackFocus }: GenerateDialogProps) {
  const [created, setCreated] = useState<{ name: string; token: string } | undefined>();
  const guard = useSecretGuard(onClose);
  return (
    <Dialog
      title={created ? 'Token generated' : 'Generate new token'}
      onClose={onClose}
      onCancel={created ? guard.requestClose : undefined}
      fallbackFocus={fallbackFocus}
    >
      {created ? (
        <SecretView accountId={accountId} name={created.name} token={created.token} guard={guard} />
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

const DAY_MS = 86_400_000;
/** The suggested lifetimes, in days; 90 is chosen unless another is. */
const LIFETIMES = [7, 30, 90, 180, 365];

/** When a token generated now with this choice would expire: an ISO time, null (never), or undefined (no date yet). */
function expiryOf(choice: string, day: string, now = Date.now()): string | null | undefined {
  if (choice === 'never') return null;
  if (choice === 'date') return day ? endOfDay(day) : undefined;
  return new Date(now + Number(choice) * DAY_MS).toISOString();
}

function expiryHint(choice: string, expiresAt: string | null | undefined): string {
  if (choice === 'never')
    return 'This token never expires: it works until it is suspended or deleted. Prefer an expiry.';
  if (expiresAt === undefined) return 'The token stops working at the end of the day you choose.';
  return `The token stops working on ${formatDate(expiresAt)}.`;
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
  const [choice, setChoice] = useState('90');
  const [day, setDay] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<Message | undefined>();
  const [busy, setBusy] = useState(false);
  const expiresAt = expiryOf(choice, day);
  const onDate = choice === 'date';
  const fieldIds = {
    name: 'token-name',
    maxRps: 'token-max-rps',
    expiresAt: onDate ? 'token-expires-on' : 'token-expiry',
  };

  function check(): FieldErrors {
    const found: FieldErrors = {};
    const nameError = nameProblem(name);
    const rpsError = integerProblem(maxRps, 'Max RPS', { min: 1, max: 3_000 });
    if (nameError) found.name = nameError;
    if (rpsError) found.maxRps = rpsError;
    if (onDate && (expiresAt === undefined || Date.parse(expiresAt!) <= Date.now()))
      found.expiresAt = 'Choose a day from today on.';
    return found;
  }

  async function submit(event: Event) {
    event.preventDefault();
    setFailure(undefined);
    const found = check();
    setErrors(found);
    if (Object.keys(found).length > 0) return focusFirst(found, fieldIds);
    setBusy(true);
    try {
      const body = {
        name: name.trim(),
        ...(maxRps.trim() ? { maxRps: Number(maxRps) } : {}),
        // Computed again now: the dialog may have stood open a while.
        expiresAt: expiryOf(choice, day) ?? null,
      };
      const createdToken = await tokens.create(body);
      onCreated(createdToken.name, createdToken.token);
    } catch (error) {
      const fields =
        error instanceof ApiError && error.code === 'VALIDATION_FAILED' ? fieldMessages(error.problem) : {};
      setErrors(fields);
      if (Object.keys(fields).length === 0) setFailure(describeError(error));
      else focusFirst(fields, fieldIds);
      setBusy(false);
    }
  }

  return (
    // noValidate: the form's own messages, inline, instead of the browser's bubbles.
    <form onSubmit={submit} noValidate>
      {failure && <ErrorNotice message={failure} />}
      <Field
        id="token-name"
        label="Name"
        error={errors.name}
        hint="1–64 letters, digits, dots, underscores or hyphens; unique for this account."
      >
        <input
          {...described('token-name', errors.name)}
          name="name"
          autoFocus
          maxLength={64}
          autocomplete="off"
          spellcheck={false}
          value={name}
          onInput={(event) => setName(event.currentTarget.value)}
        />
      </Field>
      <Field
        id="token-max-rps"
        label="Max RPS (optional)"
        error={errors.maxRps}
        hint="Requests per second, 1–3000. Leave empty for no limit (None)."
      >
        <input
          {...described('token-max-rps', errors.maxRps)}
          name="maxRps"
          inputMode="numeric"
          value={maxRps}
          onInput={(event) => setMaxRps(event.currentTarget.value)}
        />
      </Field>
      <Field
        id="token-expiry"
        label="Expires"
        error={onDate ? undefined : errors.expiresAt}
        hint={expiryHint(choice, expiresAt)}
      >
        <select
          {...described('token-expiry', onDate ? undefined : errors.expiresAt)}
          value={choice}
          onChange={(event) => setChoice(event.currentTarget.value)}
        >
          {LIFETIMES.map((days) => (
            <option key={days} value={String(days)}>
              {days === 365 ? 'In 1 year' : `In ${days} days`}
            </option>
          ))}
          <option value="date">On a date…</option>
          <option value="never">Never</option>
        </select>
      </Field>
      {onDate && (
        <Field id="token-expires-on" label="Expires on" error={errors.expiresAt} hint={undefined}>
          <input
            {...described('token-expires-on', errors.expiresAt, false)}
            type="date"
            min={dayOf(new Date())}
            value={day}
            onInput={(event) => setDay(event.currentTarget.value)}
          />
        </Field>
      )}
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
