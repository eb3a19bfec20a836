/**
 * The local OpenID provider's own pages: sign-in (a user id, no password), signing out,
 * and errors. Server-rendered, every value escaped, and plainly marked as a local
 * development provider so that nobody mistakes it for a real one.
 */

export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = [
  'body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;',
  '  line-height:1.45;color:#1b1b1b}',
  '.banner{background:#fff3cd;border:1px solid #b58a00;padding:.6rem .8rem;border-radius:4px}',
  '.error{color:#a4000f;font-weight:600}',
  'label{display:block;margin:1rem 0 .3rem;font-weight:600}',
  'input{font-size:1rem;padding:.45rem;width:100%;box-sizing:border-box;border:1px solid #555;border-radius:4px}',
  'button{margin-top:1rem;font-size:1rem;padding:.5rem 1.2rem;border-radius:4px;',
  '  border:1px solid #0b4f8a;background:#0b5cad;color:#fff;cursor:pointer}',
  'button:focus-visible,input:focus-visible{outline:3px solid #f5a623;outline-offset:2px}',
  '.hint{color:#444;font-size:.95rem}',
].join('\n');

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style>
</head><body><main>${body}</main></body></html>`;
}

const BANNER =
  `<p class="banner" role="note"><strong>Local development identity provider.</strong>\n` +
  `There is no password: enter the id of a person in the directory to sign in as them. It runs only with ` +
  `<code>npm start</code>; in AWS the console signs in with your identity provider.</p>`;

export interface LoginPageOptions {
  /** Where the form posts (under the interaction's path, where its cookie is sent). */
  action: string;
  clientId: string;
  error?: string;
  value?: string;
  /** Some people of the directory, as a hint. */
  people: string[];
}

export function loginPage(options: LoginPageOptions): string {
  const hint =
    options.people.length > 0
      ? `<p class="hint" id="people">People in the directory: ` +
        `${options.people.map((id) => `<code>${escapeHtml(id)}</code>`).join(', ')}.</p>`
      : '';
  const described = options.error
    ? ' aria-invalid="true" aria-describedby="error"'
    : hint
      ? ' aria-describedby="people"'
      : '';
  return page(
    'Sign in — local development provider',
    `<h1>Sign in</h1>
${BANNER}
<p>Signing in to <code>${escapeHtml(options.clientId)}</code>.</p>
${options.error ? `<p class="error" role="alert" id="error">${escapeHtml(options.error)}</p>` : ''}
<form method="post" action="${escapeHtml(options.action)}" autocomplete="off">
  <label for="userId">User id</label>
  <input id="userId" name="userId" type="text" required autofocus spellcheck="false" autocapitalize="none"
    value="${escapeHtml(options.value ?? '')}"${described}>
  <button type="submit">Sign in</button>
</form>
${hint}`,
  );
}

/** The provider's sign-out form, submitted at once with `logout=yes` (ends the provider's session too). */
export function logoutPage(form: string): string {
  return page(
    'Signing out',
    `${form}
<h1>Signing out</h1>
<p>Signing out of the local development provider…</p>
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<script>(()=>{const f=document.getElementById('op.logoutForm');const i=document.createElement('input');
i.type='hidden';i.name='logout';i.value='yes';f.appendChild(i);f.submit();})()</script>`,
  );
}

export function signedOutPage(): string {
  return page('Signed out', `<h1>Signed out</h1>${BANNER}`);
}

export function errorPage(heading: string, details: Record<string, string>): string {
  const rows = Object.entries(details).map(
    ([name, value]) => `<p><strong>${escapeHtml(name)}</strong>: ${escapeHtml(value)}</p>`,
  );
  return page(
    'Sign-in failed',
    `<h1>${escapeHtml(heading)}</h1>${BANNER}${rows.join('')}<p>Start again from the application.</p>`,
  );
}
