import { html } from '../html.js';
import { layout } from '../layout.js';

/**
 * /device: the person types (or confirms) the code their TV, console or CLI shows. RFC 8628 §5.4:
 * the page says to enter only a code from a device they are holding, against remote phishing.
 */
export function deviceCodePage(p: { csrfToken: string; userCode?: string; problem?: string }): string {
  return layout(
    'Connect a device',
    html`<h1>Connect a device</h1>
${p.problem ? html`<p class="error" role="alert">${p.problem}</p>` : ''}
<p>Enter the code shown on your TV, console or terminal. Only enter a code from a device you are using right now.</p>
<form method="post" action="/device">
<input type="hidden" name="csrf_token" value="${p.csrfToken}">
<label for="user_code">Code</label>
<input type="text" id="user_code" name="user_code" value="${p.userCode ?? ''}" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="32" placeholder="XXXX-XXXX" required autofocus>
<button type="submit">Continue</button>
</form>`,
  );
}

/** After the decision: nothing more to do in the browser. */
export function deviceDonePage(p: { approved: boolean; appName: string }): string {
  const title = p.approved ? 'Device connected' : 'Request denied';
  const message = p.approved
    ? html`<strong>${p.appName}</strong> is now signed in on your device. You can close this page and return to it.`
    : html`<strong>${p.appName}</strong> was not given access. You can close this page.`;
  return layout(
    title,
    html`<h1>${title}</h1>
<p>${message}</p>`,
  );
}
