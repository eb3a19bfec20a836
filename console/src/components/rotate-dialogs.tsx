import { useState } from 'preact/hooks';
import type { RotatedToken, Token } from '../api/client';
import type { TokensApi } from '../api/tokens';
import { formatDate, formatDuration } from '../format';
import { describeError, type Message } from '../problems';
import { Dialog } from './dialog';
import { described, Field } from './field';
import { ErrorNotice } from './notice';
import { SecretView, useSecretGuard } from './secret-view';

/**
 * The API's default grace period (RotateTokenBody.gracePeriodSeconds in docs/openapi.json:
 * a day), chosen unless another is; the browser tests hold it to the API's.
 */
export const DEFAULT_GRACE_SECONDS = 86_400;
const GRACE_CHOICES = [3_600, 21_600, DEFAULT_GRACE_SECONDS, 259_200, 604_800];

interface RotateProps {
  tokens: TokensApi;
  token: Token;
  accountId: string;
  onClose: () => void;
  /** The rotation went through: the token as it now is (its secret is not in it). */
  onRotated: (updated: Token, message: string) => void;
  fallbackFocus: () => HTMLElement | null;
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
  const { token, accountId, onClose, fallbackFocus } = props;
  const [grace, setGrace] = useState(String(DEFAULT_GRACE_SECONDS));
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
              {GRACE_CHOICES.map((choice) => (
                <option key={choice} value={String(choice)}>
                  {formatDuration(choice)}
                  {choice === DEFAULT_GRACE_SECONDS ? ' (default)' : ''}
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
 * End grace period now. The API has no call that ends only the previous secret: this is a
 * forced rotation with no grace period, which stops the current secret as well and hands
 * out a new one. The dialog says so before anything happens.
 */
export function EndGraceDialog(props: RotateProps) {
  const { token, accountId, onClose, fallbackFocus } = props;
  const rotation = useRotation(props);
  const lastUsed = formatDate(token.previousSecret?.lastUsedAt, 'never');
  const ask = `End the grace period of “${token.name}” now?`;
  const title = rotation.secret ? `New secret for “${token.name}”` : ask;
  return (
    <Dialog
      title={title}
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
          lead="The previous secret and the secret before it both stopped working."
        />
      ) : (
        <>
          {rotation.failure && <ErrorNotice message={rotation.failure} />}
          <div class="notice warning" id="end-grace-warning">
            <p>
              <strong>This rotates the token again, with no grace period. What breaks:</strong>
            </p>
            <ul>
              <li>the previous secret stops working at once (last used: {lastUsed});</li>
              <li>
                <strong>the current secret stops working too</strong>: the one the last rotation gave out, which jobs
                moved to;
              </li>
              <li>every job must then use the new secret, shown once next, or its calls fail (401).</li>
            </ul>
            <p>
              Do this if the previous secret leaked. Otherwise let the grace period end by itself,{' '}
              {previousUntil(token)}.
            </p>
          </div>
          <div class="actions">
            <button
              type="button"
              class="danger"
              aria-describedby="end-grace-warning"
              disabled={rotation.busy}
              onClick={() =>
                void rotation.rotate(
                  { gracePeriodSeconds: 0, force: true },
                  () => `Grace period of ${token.name} ended: both earlier secrets stopped working.`,
                )
              }
            >
              End grace period and rotate
            </button>
            <button type="button" autoFocus onClick={onClose}>
              Cancel
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
