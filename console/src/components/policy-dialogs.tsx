import { useState } from 'preact/hooks';
import type { AccountApi } from '../api/account';
import type { FederationPolicy, PolicyTest } from '../api/client';
import { formatDuration } from '../format';
import { describeError, type Message } from '../problems';
import { Dialog } from './dialog';
import { described, Field } from './field';
import { ErrorNotice } from './notice';

interface PolicyDialogProps {
  policies: AccountApi;
  policy: FederationPolicy;
  onClose: () => void;
  fallbackFocus: () => HTMLElement | null;
}

/**
 * Test: a CI job's token, pasted, against the policy: every check of an exchange, each
 * passed or failed with the policy's own patterns. Nothing is issued and the token's jti
 * is not used up; the token lives only in this dialog.
 */
export function TestPolicyDialog({ policies, policy, onClose, fallbackFocus }: PolicyDialogProps) {
  const [jwt, setJwt] = useState('');
  const [invalid, setInvalid] = useState<string | undefined>();
  const [result, setResult] = useState<PolicyTest | undefined>();
  const [failure, setFailure] = useState<Message | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setFailure(undefined);
    setResult(undefined);
    const problem = jwt.trim() === '' ? 'Paste a CI job’s OIDC token (a JWT) to test.' : undefined;
    setInvalid(problem);
    if (problem) return document.getElementById('policy-test-token')?.focus();
    setBusy(true);
    try {
      setResult(await policies.testPolicy(policy.policyId, jwt.trim()));
    } catch (error) {
      setFailure(describeError(error));
    }
    setBusy(false);
  }

  return (
    <Dialog title={`Test policy “${policy.name}”`} onClose={onClose} fallbackFocus={fallbackFocus}>
      <form onSubmit={submit} noValidate>
        {failure && <ErrorNotice message={failure} />}
        <Field
          id="policy-test-token"
          label="CI job’s token"
          error={invalid}
          hint="The OIDC token (a JWT) a job of the CI system got. Nothing is issued, and it can still be exchanged."
        >
          <textarea
            {...described('policy-test-token', invalid)}
            rows={4}
            autoFocus
            spellcheck={false}
            autocomplete="off"
            class="code"
            value={jwt}
            onInput={(event) => setJwt(event.currentTarget.value)}
          />
        </Field>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Testing…' : 'Run test'}
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
      <div role="status" aria-live="polite">
        {result && <TestResult result={result} />}
      </div>
    </Dialog>
  );
}

function TestResult({ result }: { result: PolicyTest }) {
  return (
    <section class="test-result" aria-label="Test result">
      <p class={result.passed ? 'verdict passed' : 'verdict failed'}>
        {result.passed
          ? 'Passed: an exchange of this token would be accepted now.'
          : 'Failed: an exchange of this token would be refused.'}
      </p>
      <ol class="checks">
        {result.checks.map((check) => (
          <li key={check.name} class={check.passed ? 'passed' : 'failed'}>
            <span aria-hidden="true" class="mark">
              {check.passed ? '✓' : '✗'}
            </span>
            <strong>{check.name}</strong> {check.passed ? 'passed' : 'failed'}: {check.detail}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** Delete a policy, confirmed first, saying what happens to the tokens it issued. */
export function DeletePolicyDialog({
  policies,
  policy,
  onClose,
  onDeleted,
  fallbackFocus,
}: PolicyDialogProps & { onDeleted: () => void }) {
  const [failure, setFailure] = useState<Message | undefined>();
  const [busy, setBusy] = useState(false);

  async function confirm() {
    setBusy(true);
    setFailure(undefined);
    try {
      await policies.deletePolicy(policy.policyId);
      onDeleted();
    } catch (error) {
      setFailure(describeError(error));
      setBusy(false);
    }
  }

  const issued =
    policy.maxRps === null
      ? `The tokens it issued work until they expire (at most ${formatDuration(policy.maxTtlSeconds)}), ` +
        'unless you suspend or delete them.'
      : 'The tokens it issued stop working too: their shared rate limit goes with it.';
  return (
    <Dialog title={`Delete policy “${policy.name}”?`} onClose={onClose} fallbackFocus={fallbackFocus}>
      {failure && <ErrorNotice message={failure} />}
      <p>CI jobs can no longer exchange their tokens through it, from now on. {issued} This cannot be undone.</p>
      <div class="actions">
        <button type="button" class="danger" onClick={confirm} disabled={busy}>
          Delete policy
        </button>
        <button type="button" autoFocus onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
