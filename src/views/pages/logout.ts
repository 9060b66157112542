import { html } from '../html.js';
import { layout } from '../layout.js';

/**
 * RP-Initiated Logout §2: without a valid id_token_hint the person is asked before their
 * Gatehouse session ends. The form carries the CSRF token and what the request named.
 */
export function logoutConfirmPage(p: {
  username: string;
  appName: string | null;
  fields: Record<string, string>;
}): string {
  const hidden = Object.entries(p.fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  );
  return layout(
    'Sign out of Gatehouse?',
    html`<h1>Sign out of Gatehouse?</h1>
<p>${p.appName ? html`<strong>${p.appName}</strong> asks to sign you out. ` : ''}You are signed in as <strong>${p.username}</strong>.</p>
<form method="post" action="/oauth/logout/confirm">
${hidden}
<button type="submit" name="decision" value="logout">Sign out</button>
<button type="submit" name="decision" value="stay" class="secondary">Stay signed in</button>
</form>`,
  );
}

/** Shown after a sign-out that has no registered address to return to. */
export function signedOutPage(p: { signedOut: boolean }): string {
  return layout(
    p.signedOut ? 'You are signed out' : 'You are still signed in',
    html`<h1>${p.signedOut ? 'You are signed out' : 'You are still signed in'}</h1>
<p>${p.signedOut ? 'Your Gatehouse session has ended. You can close this window.' : 'Nothing was changed.'}</p>
<a class="button" href="/account">Go to your account</a>`,
  );
}
