import { useState } from 'preact/hooks';
import type { RotatedToken, Token, TokenSettings } from '../api/client';
import type { TokensApi } from '../api/tokens';
import { formatDate, formatDuration } from '../format';
import { describeError, type Message } from '../problems';
import { Dialog } from './dialog';
import { described, Field } from './field';
import { ErrorNotice } from './notice';
import { SecretView, useSecretGuard } from './secret-view';

/** Grace periods offered: an hour, 6 hours, a day, 3 days, a week (those the deployment allows). */
const GRACE_CHOICES = [3_600, 21_600, 86_400, 259_200, 604_800];

/**
 * The choices where the API's default and longest grace period are as whoami says (the
 * default is RotateTokenBody.gracePeriodSeconds's in docs/openapi.json), default included.
 */
function graceChoices(settings: TokenSettings): number[] {
  const within = GRACE_CHOICES.filter((seconds) => seconds <= settings.maxGracePeriodSeconds);
  return [...new Set([...within, settings.defaultGracePeriodSeconds])].sort((a, b) => a - b);
}

interface RotateProps {
  tokens: TokensApi;
  token: Token;
  accountId: string;
  onClose: () => void;
  /** The rotation went through: the token as it now is (its secret is not in it). */
  onRotated: (updated: Token, message: string) => void;
  fallbackFocus: () => HTMLElement | null;
  settings: TokenSettings;
}

const withoutSecret = ({ token: _secret, ...view }: RotatedToken): Token => view;

/** The new secret, shown once; the dialog stays until its keeper confirms they kept it. */
function useRotation({ tokens, token, onClose, onRotated }: RotateProps) {
  const [secret, setSecret] = useState<string | undefined>();
  const [rotated, setRotated] = useState<Token | undefined>();
  const [failure, setFailure] = useState<Message | undefined>();
  const [busy, setBusy] = useState(false);
  const guard = useSecretGuard(onClose);
  async function rotate(body: { gracePeriodSeconds: number; force: boolean }, message: (view: Token) => string) {
    setBusy(true);
    setFailure(undefined);
    try {
      const answer = await tokens.rotate(token.name, body);
      const view = withoutSecret(answer);
      setSecret(answer.token);
      setRotated(view);
      onRotated(view, message(view));
    } catch (error) {
      setFailure(describeError(error));
      setBusy(false);
    }
  }
  return { secret, rotated, failure, busy, guard, rotate };
}

const previousUntil = (token: Token | undefined) =>
  token?.previousSecret ? formatDate(token.previousSecret.validUntil) : undefined;

/** What became of the secret a rotation replaced, as the rotated token says. */
function replaced(view: Token): string {
  const until = previousUntil(view);
  return until ? `works until ${until}, for reading only` : 'stopped working at once';
}

/** Rotate: a grace period for the current secret, then the new secret, once. */
export function RotateDialog(props: RotateProps) {
  const { token, accountId, onClose, fallbackFocus, settings } = props;
  const [grace, setGrace] = useState(String(settings.defaultGracePeriodSeconds));
  const rotation = useRotation(props);
  const seconds = Number(grace);
  const running = previousUntil(token);
  const submit = (event: Event) => {
    event.preventDefault();
    // A grace period still running ends now: the person was told so above the button.
    void rotation.rotate(
      { gracePeriodSeconds: seconds, force: running !== undefined },
      (view) => `Token ${token.name} rotated: its previous secret ${replaced(view)}.`,
    );
  };
  return (
    <Dialog
      title={rotation.secret ? `New secret for “${token.name}”` : `Rotate “${token.name}”`}
      onClose={onClose}
      onCancel={rotation.secret ? rotation.guard.requestClose : undefined}
      fallbackFocus={fallbackFocus}
    >
      {rotation.secret ? (
        <SecretView
          accountId={accountId}
          name={token.name}
          token={rotation.secret}
          guard={rotation.guard}
          lead={rotation.rotated && `The previous secret ${replaced(rotation.rotated)}.`}
        />
      ) : (
        <form onSubmit={submit} noValidate>
          {rotation.failure && <ErrorNotice message={rotation.failure} />}
          <p>
            The token gets a new secret, shown once. It keeps its name, Max RPS, expiry and rate limit. The current
            secret keeps working for the grace period, so every job can move to the new one; during it, the current
            secret may only read (GET requests): anything that changes something needs the new secret.
          </p>
          {running && (
            <div class="notice warning">
              <p>
                The last rotation’s grace period is still running: the secret it replaced works until {running}.
                Rotating again stops that secret at once.
              </p>
            </div>
          )}
          <Field
            id="grace-period"
            label="Grace period"
            hint={
              token.expiresAt
                ? `Never longer than the token itself, which expires ${formatDate(token.expiresAt)}.`
                : 'The current secret stops working when it ends.'
            }
          >
            <select
              {...described('grace-period', undefined)}
              value={grace}
              onChange={(event) => setGrace(event.currentTarget.value)}
            >
              <option value="0">None: the current secret stops at once (a leak)</option>
              {graceChoices(settings).map((choice) => (
                <option key={choice} value={String(choice)}>
                  {formatDuration(choice)}
                  {choice === settings.defaultGracePeriodSeconds ? ' (default)' : ''}
                </option>
              ))}
            </select>
          </Field>
          <div class="actions">
            <button type="submit" class="primary" disabled={rotation.busy}>
              {rotation.busy ? 'Rotating…' : 'Rotate'}
            </button>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

/**
 * End grace period now: the secret the last rotation replaced stops (the API's
 * `DELETE …/previous-secret`), the current one keeps working, no secret is handed out.
 * The dialog says what breaks before anything happens: the jobs still on the old secret.
 */
export function EndGraceDialog({ tokens, token, onClose, onRotated, fallbackFocus }: RotateProps) {
  const [failure, setFailure] = useState<Message | undefined>();
  const [busy, setBusy] = useState(false);
  const lastUsed = token.previousSecret?.lastUsedAt;
  async function end() {
    setBusy(true);
    setFailure(undefined);
    try {
      const view = await tokens.endGracePeriod(token.name);
      onRotated(view, `Grace period of ${token.name} ended: its previous secret stopped working.`);
      onClose();
    } catch (error) {
      setFailure(describeError(error));
      setBusy(false);
    }
  }
  return (
    <Dialog title={`End the grace period of “${token.name}” now?`} onClose={onClose} fallbackFocus={fallbackFocus}>
      {failure && <ErrorNotice message={failure} />}
      <div class="notice warning" id="end-grace-warning">
        <p>
          <strong>The previous secret stops working at once.</strong> Any job still using it fails from its next request
          (401): {lastUsed ? `it was last used ${formatDate(lastUsed)}.` : 'nothing has used it since the rotation.'}
        </p>
        <p>
          The current secret, the one the last rotation gave out, keeps working: jobs that moved to it are not affected.
        </p>
        <p>
          Do this if the previous secret may have leaked. Otherwise let the grace period end by itself,{' '}
          {previousUntil(token)}.
        </p>
      </div>
      <div class="actions">
        <button type="button" class="danger" aria-describedby="end-grace-warning" disabled={busy} onClick={end}>
          {busy ? 'Ending…' : 'End grace period'}
        </button>
        <button type="button" autoFocus onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
