import { useState } from 'preact/hooks';
import type { Auth } from '../auth';
import { ErrorNotice } from '../components/notice';
import type { Message } from '../problems';

/** Before sign-in: what the console is, and the way in. The address is kept for afterwards. */
export function SignedOut({ auth, message }: { auth: Auth; message: Message | undefined }) {
  const [failure, setFailure] = useState<Message | undefined>();
  const [busy, setBusy] = useState(false);
  const signIn = () => {
    setBusy(true);
    auth.signIn(location.hash || '#/').catch(() => {
      setBusy(false);
      setFailure({ text: 'The identity provider could not be reached.', hint: 'Try again in a moment.' });
    });
  };
  return (
    <>
      <header class="top">
        <p class="brand">Service account tokens</p>
      </header>
      <main id="main" class="signed-out">
        <h1>Sign in to manage access tokens</h1>
        <p>
          Generate, suspend, rate-limit and delete the access tokens of the service accounts you share a group with.
        </p>
        {(failure ?? message) && <ErrorNotice message={(failure ?? message)!} />}
        <button type="button" class="primary large" onClick={signIn} disabled={busy}>
          Sign in
        </button>
      </main>
    </>
  );
}
