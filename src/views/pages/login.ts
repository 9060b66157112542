import { html } from '../html.js';
import { layout } from '../layout.js';

export function loginPage(p: {
  startUrl: string;
  devMode: boolean;
  signedInAs?: string | null;
  csrfToken?: string | null;
  /** Just signed out: say so. */
  signedOut?: boolean;
}): string {
  const dev = p.devMode ? html`<p class="banner">Dev mode: Google is the built-in mock. Any email signs in.</p>` : '';
  if (p.signedInAs) {
    return layout(
      'Signed in',
      html`${dev}<h1>You are signed in</h1>
<p>Signed in as <strong>${p.signedInAs}</strong>.</p>
<a class="button" href="/account">Continue to your account</a>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="${p.csrfToken ?? ''}">
<button type="submit" class="secondary">Sign out</button></form>`,
    );
  }
  return layout(
    'Sign in',
    html`${dev}${p.signedOut ? html`<p class="notice" role="status">You are signed out.</p>` : ''}<h1>Sign in to Gatehouse</h1>
<p class="muted">Use your Google account. Gatehouse keeps your Google access so the company's services can act for you.</p>
<a class="button" href="${p.startUrl}">Sign in with Google</a>`,
  );
}
