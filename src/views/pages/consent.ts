import { html } from '../html.js';
import { layout } from '../layout.js';

const DESCRIPTIONS: Record<string, string> = {
  openid: 'Know who you are on Gatehouse',
  profile: 'See your name, username and profile picture',
  email: 'See your email address',
  offline_access: 'Stay signed in to it when you are not using it',
};

export function describeScope(scope: string): string {
  return DESCRIPTIONS[scope] ?? `Use the "${scope}" permission`;
}

/**
 * The consent page: which app, what it may do, where it sends you; Approve or Deny. The form
 * carries only the interaction id and the CSRF token: the grant is what this page lists.
 */
export function consentPage(p: {
  appName: string;
  /** Where the browser goes afterwards; a device authorization (RFC 8628) goes nowhere. */
  redirectHost?: string;
  username: string;
  scopes: string[];
  fields: Record<string, string>;
  /** The decision endpoint; the authorization request's by default. */
  action?: string;
}): string {
  const hidden = Object.entries(p.fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  );
  return layout(
    `Allow ${p.appName}?`,
    html`<h1>Allow ${p.appName}?</h1>
<p><strong>${p.appName}</strong> wants to use your Gatehouse account <strong>${p.username}</strong> to:</p>
<ul class="scopes">${p.scopes.map((s) => html`<li>${describeScope(s)}</li>`)}</ul>
<p class="muted">${p.redirectHost ? html`Afterwards you will be sent to ${p.redirectHost}. ` : ''}You can remove this access at any time on your account page.</p>
<form method="post" action="${p.action ?? '/oauth/authorize/decision'}">
${hidden}
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  );
}
