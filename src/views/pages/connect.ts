import { html } from '../html.js';
import { layout } from '../layout.js';

/**
 * What a connect link opens: who asks (the API key's name), for which connection, with which
 * Google permissions. Only the button spends the link, so a mail scanner or link preview that
 * fetches the URL changes nothing.
 */
export function connectConfirmPage(p: {
  serviceName: string;
  connectionId: string;
  scopes: string[];
  token: string;
  csrfToken: string;
}): string {
  return layout(
    'Connect your Google account?',
    html`<h1>Connect your Google account?</h1>
<p><strong>${p.serviceName}</strong> asks to use your Google account for <strong>${p.connectionId}</strong>.</p>
<p>It will be able to use these Google permissions, also when you are not here:</p>
<ul class="scopes">${p.scopes.map((s) => html`<li><code>${s}</code></li>`)}</ul>
<p class="muted">Continue only if you expected this. You can remove the access at any time at myaccount.google.com.</p>
<form method="post" action="/connect">
<input type="hidden" name="token" value="${p.token}">
<input type="hidden" name="csrf_token" value="${p.csrfToken}">
<button type="submit">Continue to Google</button>
</form>`,
  );
}

/**
 * The end of a connect link, good or bad. No "try again" button: only the service that sent
 * the link can make a new one.
 */
export function connectResultPage(p: { title: string; message: string; error: boolean }): string {
  return layout(
    p.title,
    html`<h1${p.error ? html` class="error"` : ''}>${p.title}</h1>
<p>${p.message}</p>`,
  );
}
