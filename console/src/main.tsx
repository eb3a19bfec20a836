import { render } from 'preact';
import { useState } from 'preact/hooks';
import { App } from './app';
import { Auth } from './auth';
import { ErrorNotice } from './components/notice';
import { loadConfig } from './config';
import { SignedOut } from './pages/signed-out';
import type { Message } from './problems';
import './styles.css';
import './pages.css';
import './tokens.css';
import './panels.css';

function Root({ auth, message }: { auth: Auth; message: Message | undefined }) {
  const [signedIn, setSignedIn] = useState(() => auth.session() !== undefined);
  const [notice, setNotice] = useState(message);
  if (!signedIn) return <SignedOut auth={auth} message={notice} />;
  return (
    <App
      auth={auth}
      onSignedOut={(why) => {
        setNotice(why);
        setSignedIn(false);
      }}
    />
  );
}

/** Reads where to sign in, completes a sign-in the provider sent back, then shows the console. */
async function start(root: HTMLElement): Promise<void> {
  let auth: Auth;
  try {
    auth = new Auth(await loadConfig());
  } catch (error) {
    render(
      <main id="main">
        <ErrorNotice
          message={{ text: 'The console could not load its settings.', hint: String((error as Error).message) }}
        />
      </main>,
      root,
    );
    return;
  }
  let message: Message | undefined;
  if (auth.isCallback()) {
    let returnTo = '#/';
    try {
      returnTo = await auth.completeSignIn();
    } catch (error) {
      message = { text: 'Sign-in did not complete.', hint: (error as Error).message || 'Sign in again.' };
    }
    // The code and state leave the address bar (and history) at once.
    history.replaceState(null, '', `${location.pathname}${returnTo}`);
  } else if (location.search !== '') {
    history.replaceState(null, '', `${location.pathname}${location.hash}`);
  }
  render(<Root auth={auth} message={message} />, root);
}

const root = document.getElementById('app')!;
// The static "Loading…" placeholder goes; the app renders into an empty container.
root.replaceChildren();
void start(root);
